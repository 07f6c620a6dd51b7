export * from './prompt-templates';
export * from './chat-messages';
export * from './record-messages';
