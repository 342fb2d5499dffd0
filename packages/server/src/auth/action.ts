/**
 * What a principal is about to do, passed to `authorize(principal, action, topic)`:
 * - `connect`: open a WebSocket (no topic);
 * - `subscribe`: read a topic live or from history (WebSocket `sub`, SSE, history);
 * - `publish`: append an event to a topic;
 * - `produce`: open, append to, end or cancel chat messages on a channel topic;
 * - `broker`: use a consumer-group stream (the topic is the stream key);
 * - `admin`: the operator routes (stats, lists, deletes; no topic).
 */
export type Action = 'connect' | 'subscribe' | 'publish' | 'produce' | 'broker' | 'admin';
