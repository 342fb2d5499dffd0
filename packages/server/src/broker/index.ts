export { RedisBroker, type RedisBrokerOptions, redisBrokerDefaults } from './redis-broker';
