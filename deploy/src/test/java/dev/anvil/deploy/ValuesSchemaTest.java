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
          cluster backend without URLs | {contextEngine: {backend: elasticsearch}, networkPolicy: {egress: {elasticsearch: [{cidr: 10.30.0.0/16, ports: [{port: 9200}]}]}}} | /contextEngine/elasticsearch/urls | minItems
          cluster backend, no egress   | contextEngine: {backend: elasticsearch, elasticsearch: {urls: ['https://es:9200']}} | /networkPolicy/egress/elasticsearch | minItems
          unknown backend              | contextEngine: {backend: solr}                                             | /contextEngine/backend            | one of 'embedded', 'elasticsearch', 'opensearch'
          opensearch without URLs      | {contextEngine: {backend: opensearch}, networkPolicy: {egress: {elasticsearch: [{cidr: 10.30.0.0/16, ports: [{port: 9200}]}]}}} | /contextEngine/elasticsearch/urls | minItems
          cluster over plain http      | contextEngine: {elasticsearch: {urls: ['http://es.search.svc:9200']}}      | /contextEngine/elasticsearch/urls/0 | '^https://'
          cluster password in its URL  | contextEngine: {elasticsearch: {urls: ['https://anvil:s3cr3t@es:9200']}}   | /contextEngine/elasticsearch/urls/0 | does not match pattern
          cluster URL with a path      | contextEngine: {elasticsearch: {urls: ['https://proxy/es'], allowHttp: true}} | /contextEngine/elasticsearch/urls/0 | does not match pattern
          serving poll of 0 s          | contextEngine: {elasticsearch: {servingPollSeconds: 0}}                   | /contextEngine/elasticsearch/servingPollSeconds | exclusiveMinimum
          unknown packaged model       | contextEngine: {model: /models/mine}                                       | /contextEngine/model              | one of 'all-minilm-l6-v2'
          negative rollback window     | contextEngine: {rollbackHours: -1}                                         | /contextEngine/rollbackHours      | minimum
          negative merge pause         | contextEngine: {mergeQuietSeconds: -1}                                     | /contextEngine/mergeQuietSeconds  | minimum
          fusion constant of 0         | contextEngine: {search: {fusionK: 0}}                                      | /contextEngine/search/fusionK     | minimum
          no embedding threads         | contextEngine: {threads: 0}                                                | /contextEngine/threads            | minimum
          too many embedding threads   | contextEngine: {threads: 65}                                               | /contextEngine/threads            | maximum
          fusion constant too large    | contextEngine: {search: {fusionK: 20000}}                                  | /contextEngine/search/fusionK     | maximum
          fusion constant not a number | contextEngine: {search: {fusionK: small}}                                  | /contextEngine/search/fusionK     | want integer
          cluster URL not a list       | contextEngine: {elasticsearch: {urls: 'https://es:9200'}}                  | /contextEngine/elasticsearch/urls | want array
          cluster password as a value  | contextEngine: {elasticsearch: {password: s3cr3t}}                         | /contextEngine/elasticsearch      | 'password'
          cluster API key as a value   | contextEngine: {elasticsearch: {apiKey: 'ApiKey Zm9vOmJhcg=='}}            | /contextEngine/elasticsearch      | 'apiKey'
          cluster credentials inline   | contextEngine: {elasticsearch: {credentialsSecret: {name: es, value: 'anvil:s3cr3t'}}} | /contextEngine/elasticsearch/credentialsSecret | 'value'
          credentials key leaving it   | contextEngine: {elasticsearch: {credentialsSecret: {name: es, key: ../token}}} | /contextEngine/elasticsearch/credentialsSecret/key | ../token
          CA secret name               | contextEngine: {elasticsearch: {caSecret: {name: Corp_CA}}}                | /contextEngine/elasticsearch/caSecret/name | Corp_CA
          index prefix in upper case   | contextEngine: {elasticsearch: {indexPrefix: Anvil-}}                      | /contextEngine/elasticsearch/indexPrefix | Anvil-
          index prefix of a hidden one | contextEngine: {elasticsearch: {indexPrefix: .security-}}                  | /contextEngine/elasticsearch/indexPrefix | .security-
          no primary shard             | contextEngine: {elasticsearch: {shards: 0}}                                | /contextEngine/elasticsearch/shards | minimum
          too many shard replicas      | contextEngine: {elasticsearch: {replicas: 17}}                             | /contextEngine/elasticsearch/replicas | maximum
          cluster settings in extras   | contextEngine: {extraConfig: {ANVIL_ES_URL: 'https://es:9200'}}            | /contextEngine/extraConfig/ANVIL_ES_URL | false schema
          backend in extras            | contextEngine: {extraConfig: {ANVIL_BACKEND: elasticsearch}}               | /contextEngine/extraConfig/ANVIL_BACKEND | false schema
          cluster egress everywhere    | networkPolicy: {egress: {elasticsearch: [{cidr: 0.0.0.0/0, ports: [{port: 9200}]}]}} | /networkPolicy/egress/elasticsearch/0/cidr | '0.0.0.0/0'
          cluster egress without ports | networkPolicy: {egress: {elasticsearch: [{podSelector: {matchLabels: {app: es}}}]}} | /networkPolicy/egress/elasticsearch/0 | ports
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
