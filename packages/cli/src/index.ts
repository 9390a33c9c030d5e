export { main, commands, help } from './cli.ts';
export { configPath, readConfig, resolveConfig, saveProfile, writeConfig, type ConfigFile, type Profile } from './config.ts';
