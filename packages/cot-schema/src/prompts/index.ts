export * from './prompt-templates';
export * from './chat-messages';
