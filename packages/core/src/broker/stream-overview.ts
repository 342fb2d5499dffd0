import { isSpoolError } from '../errors';
import type { StreamBroker, XinfoConsumer, XinfoGroup, XinfoStreamReply } from './stream-broker';

/** One stream with its groups and each group's consumers: what an operator's dashboard shows. */
export interface StreamOverview extends XinfoStreamReply {
  /** The stream key. */
  key: string;
  /** The stream's groups (XINFO GROUPS), each with its consumers (XINFO CONSUMERS). */
  groupList: Array<
    XinfoGroup & {
      /** The group's consumers (XINFO CONSUMERS). */
      consumerList: XinfoConsumer[];
    }
  >;
}

/**
 * XINFO STREAM + GROUPS + CONSUMERS in one call, for the HTTP API and the dashboard.
 * Resolves null for a missing key. A group destroyed between the calls is left out.
 *
 * @example
 * const overview = await streamOverview(broker, 'jobs');
 * overview?.groupList.map((g) => [g.name, g.lag, g.consumerList.length]);
 */
export async function streamOverview(broker: StreamBroker, key: string): Promise<StreamOverview | null> {
  let info: XinfoStreamReply;
  let groups: XinfoGroup[];
  try {
    [info, groups] = await Promise.all([broker.xinfoStream(key), broker.xinfoGroups(key)]);
  } catch (err) {
    if (isSpoolError(err, 'NO_SUCH_KEY')) return null;
    throw err;
  }
  const groupList = await Promise.all(
    groups.map(async (g) => {
      try {
        return { ...g, consumerList: await broker.xinfoConsumers(key, g.name) };
      } catch (err) {
        if (isSpoolError(err, 'NOGROUP') || isSpoolError(err, 'NO_SUCH_KEY')) return undefined;
        throw err;
      }
    }),
  );
  return { key, ...info, groupList: groupList.filter((g) => g !== undefined) };
}
