using Stepwise.Cli;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // First Ctrl+C asks the running command to stop cleanly (servers stopped, history truthful).
    e.Cancel = true;
    cancel.Cancel();
};
return await StepwiseCli.RunAsync(args, CliEnvironment.Process(), cancel.Token);
