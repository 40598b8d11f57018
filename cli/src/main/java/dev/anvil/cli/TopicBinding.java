package dev.anvil.cli;

import dev.anvil.rbac.Principal;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.input.RbacException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A documents topic and the one identity that writes every record of it: a record cannot choose its
 * writer, so who may produce to the topic (Kafka's ACLs) and what its identity may write (the
 * policies) together decide what reaches the index.
 *
 * @param topic the documents topic (dead letters go to {@code topic.dlq})
 * @param principal the identity (in principals.yaml) that writes its records
 */
record TopicBinding(String topic, Principal principal) {
  /**
   * Reads {@code TOPIC=PRINCIPAL} entries; every principal must be in {@code people}, and a topic
   * may be bound only once.
   *
   * @throws RbacException naming the entry that is malformed, repeated, or names no principal
   */
  static List<TopicBinding> parse(List<String> entries, PrincipalDirectory people) {
    List<TopicBinding> out = new ArrayList<>();
    Set<String> topics = new HashSet<>();
    for (String entry : entries) {
      String[] parts = entry.strip().split("=", -1);
      if (parts.length != 2 || parts[0].isBlank() || parts[1].isBlank()) {
        throw new RbacException(
            "--kafka-topics: expected TOPIC=PRINCIPAL, was '" + entry.strip() + "'");
      }
      String topic = parts[0].strip();
      String name = parts[1].strip();
      if (!topics.add(topic)) {
        throw new RbacException(
            "--kafka-topics: topic '" + topic + "' is bound twice; a topic has one writer");
      }
      Principal p =
          people
              .find(name)
              .orElseThrow(
                  () ->
                      new RbacException(
                          "--kafka-topics: topic '"
                              + topic
                              + "' is bound to '"
                              + name
                              + "', which principals.yaml does not name"));
      out.add(new TopicBinding(topic, p));
    }
    if (out.isEmpty()) {
      throw new RbacException("--kafka-topics: expected at least one TOPIC=PRINCIPAL");
    }
    return out;
  }
}
