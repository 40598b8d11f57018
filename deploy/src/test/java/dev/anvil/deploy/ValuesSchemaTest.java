package dev.anvil.deploy;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** values.schema.json refuses bad values before anything is rendered, naming the field. */
class ValuesSchemaTest {
  @TempDir Path dir;

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      textBlock =
          """
          egress to everywhere (IPv4)  | networkPolicy: {egress: {kafka: [{cidr: 0.0.0.0/0, ports: [{port: 9092}]}]}} | /networkPolicy/egress/kafka/0/cidr | '0.0.0.0/0'
          egress to everywhere (IPv6)  | networkPolicy: {egress: {otlp: [{cidr: '::/0', ports: [{port: 4318}]}]}}     | /networkPolicy/egress/otlp/0/cidr  | '::/0'
          egress peer without ports    | networkPolicy: {egress: {keycloak: [{cidr: 10.1.0.0/16}]}}                 | /networkPolicy/egress/keycloak/0   | ports
          egress peer without selector | networkPolicy: {egress: {otlp: [{ports: [{port: 4318}]}]}}                 | /networkPolicy/egress/otlp/0       | namespaceSelector
          not a CIDR                   | networkPolicy: {egress: {kafka: [{cidr: kafka.corp, ports: [{port: 9092}]}]}} | /networkPolicy/egress/kafka/0/cidr | kafka.corp
          non-integer replicas         | contextEngine: {replicas: two}                                             | /contextEngine/replicas            | want integer
          GPU count as a string        | trainer: {gpu: {count: '1'}}                                               | /trainer/gpu/count                 | want integer
          unknown top-level key        | replicas: 3                                                                | additional properties 'replicas'   | not allowed
          unknown nested key           | contextEngine: {replica: 3}                                                | /contextEngine                     | 'replica'
          hostPath in extra volumes    | trainer: {extraVolumes: [{name: host, hostPath: {path: /}}]}               | /trainer/extraVolumes/0            | 'hostPath' not allowed
          nfs in extra volumes         | contextEngine: {extraVolumes: [{name: n, nfs: {server: x, path: /}}]}      | /contextEngine/extraVolumes/0      | 'nfs' not allowed
          non-ANVIL extra config       | contextEngine: {extraConfig: {JAVA_TOOL_OPTIONS: -Xmx1g}}                  | /contextEngine/extraConfig         | JAVA_TOOL_OPTIONS
          policy file outside the pack | policy: {files: {'../etc/passwd': x}}                                      | /policy/files                      | ../etc/passwd
          root user                    | securityContext: {runAsUser: 0}                                            | /securityContext/runAsUser         | minimum
          gate without its eval set    | trainer: {gate: {enabled: true, rules: 'metric: ndcg@10', regressionPath: /r}} | /trainer/gate/evalPath         | minLength
          gate without rules           | trainer: {gate: {enabled: true, evalPath: /e, regressionPath: /r}}         | /trainer/gate/rules                | minLength
          gate deciding on test        | trainer: {gate: {split: Test}}                                             | /trainer/gate/split               | not
          gate set as a relative path  | trainer: {gate: {regressionPath: data/regression}}                          | /trainer/gate/regressionPath      | data/regression
          the old shared gRPC peers    | networkPolicy: {ingress: {grpc: []}}                                       | /networkPolicy/ingress             | 'grpc'
          unknown key, engine ingress  | networkPolicy: {ingress: {contextEngine: {metrics: []}}}                   | /networkPolicy/ingress/contextEngine | 'metrics'
          unknown key, trainer ingress | networkPolicy: {ingress: {trainer: {grpc: [], health: []}}}                | /networkPolicy/ingress/trainer     | 'health'
          trainer peers not a list     | networkPolicy: {ingress: {trainer: {grpc: {namespaceSelector: {}}}}}       | /networkPolicy/ingress/trainer/grpc | want array
          health peer with ports       | networkPolicy: {ingress: {health: [{cidr: 10.0.0.0/22, ports: [{port: 7080}]}]}} | /networkPolicy/ingress/health/0 | 'ports'
          health peers not a list      | networkPolicy: {ingress: {health: 10.0.0.0/22}}                            | /networkPolicy/ingress/health      | want array
          unknown key, trainer client  | tls: {trainerClient: {name: corp-trainer-cert}}                            | /tls/trainerClient                 | 'name'
          trainer client secret number | tls: {trainerClient: {secretName: 42}}                                     | /tls/trainerClient/secretName      | want string
          trainer client secret name   | tls: {trainerClient: {secretName: Trainer_Cert}}                           | /tls/trainerClient/secretName      | Trainer_Cert
          trainer limit of 0           | trainer: {limits: {jobsPerOwner: 0}}                                       | /trainer/limits/jobsPerOwner      | minimum
          unknown trainer limit        | trainer: {limits: {jobs: 4}}                                               | /trainer/limits                   | 'jobs'
          exchange secret name         | trainer: {tokenExchange: {secretName: KC_Trainer}}                         | /trainer/tokenExchange/secretName | KC_Trainer
          unknown key, token exchange  | trainer: {tokenExchange: {secret: s3cr3t}}                                 | /trainer/tokenExchange            | 'secret'
          store password in its URL    | store: {url: 'jdbc:postgresql://db/anvil?user=a&password=s3cr3t'}          | /store/url                        | not
          store URL of another database | store: {url: 'jdbc:h2:file:/var/lib/anvil/x'}                             | /store/url                        | jdbc:h2
          store password inline        | store: {password: s3cr3t}                                                  | /store                            | 'password'
          store secret name            | store: {passwordSecret: {name: DB_Secret}}                                 | /store/passwordSecret/name        | DB_Secret
          no trainer replica           | trainer: {replicas: 0}                                                     | /trainer/replicas                 | minimum
          """)
  void refusesBadValuesNamingTheField(String what, String values, String field, String detail) {
    Path file = Chart.values(dir, values);

    assertThatThrownBy(() -> Chart.template(file))
        .as(what)
        .hasMessageContaining("values don't meet the specifications of the schema")
        .hasMessageContaining(field)
        .hasMessageContaining(detail);
  }
}
