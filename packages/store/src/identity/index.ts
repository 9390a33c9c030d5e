export * from './rows.ts';
export * from './collaborations.ts';
export * from './members.ts';
export * from './participants.ts';
export * from './keys.ts';
export * from './invites.ts';
