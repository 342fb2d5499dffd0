/**
 * Topic names the dashboard subscribes to (ARCHITECTURE "Chat events on a channel topic").
 * Mirrored from @spool/core's protocol so the dashboard takes only types from core at runtime.
 */

/** The operators' stats topic; `$sys` pushes event `stats` every second. */
export const SYS_TOPIC = '$sys';

/**
 * The topic of a channel.
 *
 * @example channelTopic(1, 'general') // 'chan:1:general'
 */
export function channelTopic(channelType: number, channelId: string): string {
  return `chan:${channelType}:${channelId}`;
}
