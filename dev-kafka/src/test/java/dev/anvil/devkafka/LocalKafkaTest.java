package dev.anvil.devkafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.rbac.LoopbackSockets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalKafkaTest {
  @TempDir Path dir;

  @Test
  void aRealBrokerOnLoopbackKeepsItsRecordsAcrossARestart() throws Exception {
    try (LocalKafka kafka = LocalKafka.start(dir, 0)) {
      assertThat(LoopbackSockets.onPort(kafka.port())).isNotEmpty().allMatch(l -> l.loopbackOnly());
      assertThat(LoopbackSockets.onPort(kafka.controllerPort()))
          .isNotEmpty()
          .allMatch(l -> l.loopbackOnly());

      Map<String, Object> common = Map.of("bootstrap.servers", kafka.bootstrapServers());
      try (Admin admin = Admin.create(common)) {
        admin
            .createTopics(List.of(new NewTopic("t", Optional.of(1), Optional.empty())))
            .all()
            .get();
      }
      try (var producer =
          new KafkaProducer<>(common, new StringSerializer(), new StringSerializer())) {
        producer.send(new ProducerRecord<>("t", "k", "before restart")).get();
      }

      kafka.stop();
      assertThat(LoopbackSockets.onPort(kafka.port())).isEmpty();
      kafka.start();

      try (var producer =
          new KafkaProducer<>(common, new StringSerializer(), new StringSerializer())) {
        producer.send(new ProducerRecord<>("t", "k", "after restart")).get();
      }
      List<String> seen = new ArrayList<>();
      try (var consumer =
          new KafkaConsumer<>(common, new StringDeserializer(), new StringDeserializer())) {
        TopicPartition tp = new TopicPartition("t", 0);
        consumer.assign(List.of(tp));
        consumer.seekToBeginning(List.of(tp));
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (seen.size() < 2 && System.nanoTime() < deadline) {
          for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
            seen.add(r.value());
          }
        }
      }
      assertThat(seen).containsExactly("before restart", "after restart");
    }
  }
}
