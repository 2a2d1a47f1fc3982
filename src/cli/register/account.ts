// The commands about the account and the tool's own state: sessions, models, balance, config.
import type { Command } from 'commander';
import type { Io } from '../../io.js';
import { apiOptions, formatOption, withAll, type SetExit } from '../options.js';

export function registerSessions(program: Command, io: Io, setExit: SetExit): void {
  program
    .command('sessions')
    .description('list saved conversations, newest first')
    .addOption(formatOption(['text', 'json'], 'output format', 'text'))
    .action(async (opts) => {
      const { sessionsCommand } = await import('../../commands/sessions.js');
      setExit(await sessionsCommand(opts, io));
    });
}

export function registerModels(program: Command, io: Io, setExit: SetExit): void {
  const cmd = program
    .command('models')
    .description('list the models your key can use, with images/video, context, thinking and prices')
    .addOption(formatOption(['text', 'json'], 'output format', 'text'))
    .option('--all', "also list the model table's models the key does not have")
    .option('--offline', "print kimi-vision's model table only; no key, nothing sent");
  withAll(cmd, apiOptions()).action(async (opts) => {
    const { modelsCommand } = await import('../../commands/models.js');
    setExit(await modelsCommand(opts, io));
  });
}

export function registerBalance(program: Command, io: Io, setExit: SetExit): void {
  const cmd = program
    .command('balance')
    .description('show the account balance (exit 6 when nothing is left to spend)')
    .addOption(formatOption(['text', 'json'], 'output format', 'text'));
  withAll(cmd, apiOptions()).action(async (opts) => {
    const { balanceCommand } = await import('../../commands/balance.js');
    setExit(await balanceCommand(opts, io));
  });
}

export function registerConfig(program: Command, io: Io, setExit: SetExit): void {
  const config = program.command('config').description('show or change the defaults in the config file (model, base_url, prompt, format, api_key)');
  const run = (load: (c: typeof import('../../commands/config.js')) => Promise<number>) => async () => setExit(await load(await import('../../commands/config.js')));
  config
    .command('set')
    .description('set a default; api_key is read from stdin (or typed hidden), never from the command line')
    .argument('<key>', 'model, base_url, prompt, format or api_key')
    .argument('[value]', 'the value (api_key: - or nothing, and the key on stdin)')
    .action((key: string, value: string | undefined) => run((c) => c.configSet(key, value, io))());
  config
    .command('get')
    .description('print a value of the config file (api_key: only whether it is set)')
    .argument('<key>', 'model, base_url, prompt, format or api_key')
    .action((key: string) => run((c) => c.configGet(key, io))());
  config
    .command('list')
    .description('every setting as commands see it (env > config file > default), and where it comes from')
    .addOption(formatOption(['text', 'json'], 'output format', 'text'))
    .action((opts) => run((c) => c.configList(opts, io))());
  config
    .command('unset')
    .description('remove a value from the config file')
    .argument('<key>', 'model, base_url, prompt, format or api_key')
    .action((key: string) => run((c) => c.configUnset(key, io))());
  config
    .command('path')
    .description('print where the config file is (or would be)')
    .action(() => run((c) => c.configPathCommand(io))());
}
