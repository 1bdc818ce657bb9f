using MiniMe.Cli;
using MiniMe.Cli.Hosting;

// `minime --version` alone prints what System.CommandLine's --version prints, without building the command
// tree, the console or the signal handlers first; anything more (--version with other tokens) goes the usual way.
if (args is ["--version"])
{
    Console.Out.WriteLine(CliApp.Version);
    return ExitCodes.Ok;
}

// Ctrl+C and SIGTERM cancel the command's token (exit 130 once it has wound down); a second one quits at once.
// A command may claim Ctrl+C for part of its work (context.Interrupts: `minime chat` stops only the answer).
var context = CliApp.ConsoleContext();
using var termination = TerminationSignals.Register(Console.Error, context.Interrupts);
return await CliApp.RunAsync(args, context, termination.Token);
