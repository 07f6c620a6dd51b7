// One chat-message type for the whole project: the one `buildChatMessages` makes is the one models take.
export type { ChatContentPart, ChatMessage, ImageInput } from '@iad-r1/cot-schema';
