// franz-go (kgo and kadm) against a broker: creates a topic, produces COUNT records (idempotent,
// acks=all), consumes them in a consumer group and commits, then describes the group and its offsets
// with kadm. Prints one fact a line; exits 1 with the error on the first failure.
//
// Usage: franz-go-check BOOTSTRAP TOPIC GROUP COUNT
package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

func fail(what string, err error) {
	fmt.Fprintf(os.Stderr, "%s: %v\n", what, err)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: franz-go-check BOOTSTRAP TOPIC GROUP COUNT")
		os.Exit(2)
	}
	bootstrap, topic, group := os.Args[1], os.Args[2], os.Args[3]
	count, err := strconv.Atoi(os.Args[4])
	if err != nil {
		fail("count", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	admClient, err := kgo.NewClient(kgo.SeedBrokers(bootstrap))
	if err != nil {
		fail("admin client", err)
	}
	defer admClient.Close()
	adm := kadm.NewClient(admClient)
	created, err := adm.CreateTopics(ctx, 3, 1, nil, topic)
	if err != nil {
		fail("create topic", err)
	}
	for _, t := range created.Sorted() {
		if t.Err != nil {
			fail("create topic "+t.Topic, t.Err)
		}
		fmt.Printf("created %s\n", t.Topic)
	}

	producer, err := kgo.NewClient(kgo.SeedBrokers(bootstrap), kgo.RequiredAcks(kgo.AllISRAcks()))
	if err != nil {
		fail("producer", err)
	}
	records := make([]*kgo.Record, count)
	for i := range records {
		records[i] = &kgo.Record{Topic: topic, Key: []byte(fmt.Sprintf("k%d", i)), Value: []byte(fmt.Sprintf("v%d", i))}
	}
	if err := producer.ProduceSync(ctx, records...).FirstErr(); err != nil {
		fail("produce", err)
	}
	producer.Close()
	fmt.Printf("produced %d\n", count)

	consumer, err := kgo.NewClient(
		kgo.SeedBrokers(bootstrap),
		kgo.ConsumerGroup(group),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
	)
	if err != nil {
		fail("consumer", err)
	}
	received, mismatched := 0, 0
	for received < count {
		fetches := consumer.PollFetches(ctx)
		if ctx.Err() != nil {
			fail("consume", ctx.Err())
		}
		fetches.EachError(func(t string, p int32, err error) { fail(fmt.Sprintf("fetch %s/%d", t, p), err) })
		fetches.EachRecord(func(r *kgo.Record) {
			received++
			if string(r.Value) != "v"+string(r.Key[1:]) {
				mismatched++
			}
		})
	}
	if err := consumer.CommitUncommittedOffsets(ctx); err != nil {
		fail("commit", err)
	}
	fmt.Printf("consumed %d mismatched %d\n", received, mismatched)

	described, err := adm.DescribeGroups(ctx, group)
	if err != nil {
		fail("describe group", err)
	}
	for _, g := range described.Sorted() {
		if g.Err != nil {
			fail("describe group "+g.Group, g.Err)
		}
		fmt.Printf("group %s state %s protocol %s members %d\n", g.Group, g.State, g.Protocol, len(g.Members))
	}
	consumer.Close() // leaves the group

	offsets, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		fail("fetch offsets", err)
	}
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		fail("list end offsets", err)
	}
	var lines []string
	offsets.Each(func(o kadm.OffsetResponse) {
		end, _ := ends.Lookup(o.Topic, o.Partition)
		lines = append(lines, fmt.Sprintf("offset %s/%d committed %d end %d", o.Topic, o.Partition, o.At, end.Offset))
	})
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Println(l)
	}

	listed, err := adm.ListTopics(ctx, topic)
	if err != nil {
		fail("list topics", err)
	}
	for _, t := range listed.Sorted() {
		fmt.Printf("topic %s partitions %d\n", t.Topic, len(t.Partitions))
	}
	groups, err := adm.ListGroups(ctx)
	if err != nil {
		fail("list groups", err)
	}
	for _, g := range groups.Sorted() {
		if g.Group == group {
			fmt.Printf("listed group %s state %s\n", g.Group, g.State)
		}
	}
}
