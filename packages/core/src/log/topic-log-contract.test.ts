import { topicLogContract } from '../testing';
import { MemoryTopicLog } from './memory-topic-log';

topicLogContract('MemoryTopicLog', () => ({ log: new MemoryTopicLog() }));
