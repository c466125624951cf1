using System.Runtime.InteropServices;
using Stepwise.Cli;

// SIGINT (Ctrl+C) and SIGTERM ask the running command to stop cleanly: the running statement is
// cancelled, history stays truthful and throwaway servers are stopped. .NET would otherwise exit at
// once on SIGTERM without running any cleanup.
using var cancel = new CancellationTokenSource();
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    cancel.Cancel();
}
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
return await StepwiseCli.RunAsync(args, CliEnvironment.Process(), cancel.Token);
