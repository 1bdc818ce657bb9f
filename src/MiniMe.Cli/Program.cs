using MiniMe.Cli;

return await CliApp.RunAsync(args, CliApp.ConsoleContext());
