"""Commits chosen offsets for a group with confluent-kafka-python, without joining it.

Usage: commit-offsets.py BOOTSTRAP GROUP TOPIC:PARTITION:OFFSET...
Prints one line per partition of the broker's answer: "TOPIC PARTITION OFFSET ERROR-NAME|-".
The commit is asynchronous so that the on_commit callback shows every partition's own error (a
synchronous commit raises the first error only).
"""
import sys

from confluent_kafka import Consumer, TopicPartition

bootstrap, group = sys.argv[1:3]
offsets = []
for spec in sys.argv[3:]:
    topic, partition, offset = spec.rsplit(":", 2)
    offsets.append(TopicPartition(topic, int(partition), int(offset)))

answered = []


def on_commit(error, partitions):
    for tp in partitions:
        print(tp.topic, tp.partition, tp.offset, tp.error.name() if tp.error else "-", flush=True)
    answered.append(error)


consumer = Consumer(
    {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "enable.auto.commit": False,
        "on_commit": on_commit,
    }
)
consumer.commit(offsets=offsets, asynchronous=True)
while not answered:
    consumer.poll(0.1)
consumer.close()
