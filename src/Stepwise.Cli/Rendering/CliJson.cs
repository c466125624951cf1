using System.Text.Json.Serialization;
using Stepwise.Catalog;
using Stepwise.Cli.Commands;
using Stepwise.Verification;

namespace Stepwise.Cli.Rendering;

/// <summary>
/// Every typed value the CLI writes as JSON, serialized by code generated at compile time (no reflection, so trimming and
/// Native AOT keep it whole). Documents assembled in a command are built as JSON nodes instead (<see cref="Output.WriteJson(System.Text.Json.Nodes.JsonNode)"/>).
/// </summary>
[JsonSerializable(typeof(SchemaModel))]
[JsonSerializable(typeof(DemoCommand.DemoSummary))]
[JsonSerializable(typeof(ParseCommand.FileReport))]
[JsonSerializable(typeof(VerifyProblem))]
internal sealed partial class CliJson : JsonSerializerContext;
