/**
 * V8 flags a broker process starts with, as Kafka's start script ships -Xms. A broker's JavaScript heap
 * is small (~15 MB) while hundreds of MB/s of buffers pass through it, and V8's small initial old-space
 * limit then starts a full collection every ~10 MB of traffic: 50–100 per benchmark run, about a third
 * of a follower's CPU. A 256 MB initial limit removes nearly all of them; it moves the first GC trigger
 * and takes no memory up front. V8 reads it only at startup, so launchers pass it on the command line.
 */
export const BROKER_NODE_FLAGS: readonly string[] = ['--initial-old-space-size=256'];
