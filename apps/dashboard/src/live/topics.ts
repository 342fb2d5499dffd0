/**
 * Topic names the dashboard subscribes to (docs/protocol.md, "Chat events on a channel
 * topic"). Channel topics are built and parsed by `@spool/core/protocol`'s `channelTopic`
 * and `parseChannelTopic`, the ones `@spool/client` bundles already.
 */

/** The operators' stats topic; `$sys` pushes event `stats` every second. */
export const SYS_TOPIC = '$sys';
