export { main, commands, help } from './main.ts';
export { configPath, readConfig, resolveConfig, saveProfile, writeConfig, type ConfigFile, type Profile } from './config.ts';
