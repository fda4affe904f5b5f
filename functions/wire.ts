/** Store and queues from an AwsConfig (the same wiring the local stack uses). */
export { wire } from '@baton/stack/wiring';
