/** An image in a chat message: a local path, an http(s) or data URL, or encoded bytes (PNG/JPEG/…). */
export type ImageInput = string | { data: Uint8Array; mimeType?: string };

/** One part of a multimodal message, in order. */
export type ChatContentPart = { type: 'text'; text: string } | { type: 'image'; image: ImageInput };

/**
 * A chat message whose content mixes text and images. Structurally the same as
 * `@iad-r1/cot-schema`'s `ChatMessage`, so `buildChatMessages` output can be passed as is.
 */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string | ChatContentPart[];
}
