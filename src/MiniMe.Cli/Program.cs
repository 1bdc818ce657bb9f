using MiniMe.Cli;

// Ctrl+C and SIGTERM cancel the command's token (exit 130 once it has wound down); a second one quits at once.
using var termination = TerminationSignals.Register(Console.Error);
return await CliApp.RunAsync(args, CliApp.ConsoleContext(), termination.Token);
