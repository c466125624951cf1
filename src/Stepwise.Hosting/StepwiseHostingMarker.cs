namespace Stepwise.Hosting;

/// <summary>Placeholder until the hosting integration lands (start-up gate, health check).</summary>
internal static class StepwiseHostingMarker;
