import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Apache Kafka's Java client against a broker: an idempotent acks=all producer sends COUNT records,
 * then a consumer in GROUP reads them all and commits. It prints one fact a line ("produced 0:5", …)
 * and, while still a member of the group, waits for a line on stdin before it leaves (so the test can
 * describe the group with a live member).
 *
 * <p>Usage: java -cp KAFKA_JARS ClientCheck.java BOOTSTRAP TOPIC GROUP COUNT
 */
public class ClientCheck {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    String group = args[2];
    int count = Integer.parseInt(args[3]);

    Properties producerConfig = new Properties();
    producerConfig.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
    producerConfig.put(ProducerConfig.CLIENT_ID_CONFIG, "client-check-producer");
    producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    Map<Integer, Long> lastOffset = new TreeMap<>();
    try (KafkaProducer<String, String> producer =
        new KafkaProducer<>(producerConfig, new StringSerializer(), new StringSerializer())) {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        sent.add(producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i)));
      }
      producer.flush();
      for (Future<RecordMetadata> f : sent) {
        RecordMetadata m = f.get();
        lastOffset.merge(m.partition(), m.offset(), Math::max);
      }
    }
    lastOffset.forEach((p, o) -> System.out.println("produced " + p + ":" + (o + 1)));
    System.out.flush();

    Properties consumerConfig = new Properties();
    consumerConfig.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    consumerConfig.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    consumerConfig.put(ConsumerConfig.CLIENT_ID_CONFIG, "client-check-consumer");
    consumerConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(consumerConfig, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      int received = 0;
      int mismatched = 0;
      long deadline = System.currentTimeMillis() + 60_000;
      while (received < count && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
          received++;
          if (!r.value().equals("v" + r.key().substring(1))) mismatched++;
        }
      }
      consumer.commitSync();
      System.out.println("consumed " + received + " mismatched " + mismatched);
      Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(consumer.assignment());
      new TreeMap<Integer, Long>(
              committed.entrySet().stream()
                  .collect(
                      java.util.stream.Collectors.toMap(
                          e -> e.getKey().partition(), e -> e.getValue().offset())))
          .forEach((p, o) -> System.out.println("committed " + p + ":" + o));
      System.out.println("member ready");
      System.out.flush();
      // Stay in the group (polling, so the member keeps its session) until told to leave.
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      while (!in.ready()) consumer.poll(Duration.ofMillis(200));
    }
    System.out.println("closed");
  }
}
