"""A confluent-kafka-python group member for the compat tests.

Usage: group-member.py BOOTSTRAP GROUP TOPIC [INSTANCE_ID]
Prints one line per event, flushed: "assign 0,1", "revoke 0,1", "record P:O", "error CODE NAME [fatal]".
Exits after a fatal error (a fenced static member), without closing (static members do not leave).
"""
import signal
import sys

from confluent_kafka import Consumer

bootstrap, group, topic = sys.argv[1:4]
instance = sys.argv[4] if len(sys.argv) > 4 else None


def out(*words):
    print(*words, flush=True)


def partitions(parts):
    return ",".join(str(p) for p in sorted(p.partition for p in parts))


fatal = False
stopping = False


def stop(signum, frame):
    global stopping
    stopping = True


# SIGTERM: close properly (a dynamic member sends LeaveGroup); SIGKILL is the crash.
signal.signal(signal.SIGTERM, stop)


def report(error):
    global fatal
    # librdkafka reports a fatal error (e.g. a fenced static member) as _FATAL through error_cb.
    fatal = fatal or error.fatal() or error.name() == "_FATAL"
    out("error", error.code(), error.name(), "fatal" if fatal else "")


config = {
    "bootstrap.servers": bootstrap,
    "group.id": group,
    "session.timeout.ms": 10000,
    "heartbeat.interval.ms": 300,
    "auto.offset.reset": "earliest",
    "enable.auto.commit": True,
    "auto.commit.interval.ms": 200,
    "error_cb": report,
}
if instance:
    config["group.instance.id"] = instance
consumer = Consumer(config)
consumer.subscribe(
    [topic],
    on_assign=lambda c, parts: out("assign", partitions(parts)),
    on_revoke=lambda c, parts: out("revoke", partitions(parts)),
)
out("started")
while not fatal and not stopping:
    message = consumer.poll(0.2)
    if message is None:
        continue
    if message.error():
        report(message.error())
        continue
    out("record", f"{message.partition()}:{message.offset()}")
if stopping:
    consumer.close()
    out("closed")
