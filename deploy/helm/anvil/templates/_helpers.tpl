{{/* Chart name, for the app.kubernetes.io/name label. */}}
{{- define "anvil.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Resource name prefix: the release name, plus the chart name unless the release name has it. */}}
{{- define "anvil.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 36 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 36 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 36 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Name of a component's resources: (dict "root" $ "component" "context-engine"). */}}
{{- define "anvil.componentName" -}}
{{- printf "%s-%s" (include "anvil.fullname" .root) .component -}}
{{- end -}}

{{/* Standard labels of a component's resources. */}}
{{- define "anvil.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{ include "anvil.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: anvil
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end -}}

{{/* Labels that select a component's pods (immutable in StatefulSets and Deployments). */}}
{{- define "anvil.selectorLabels" -}}
app.kubernetes.io/name: {{ include "anvil.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* ServiceAccount both components run as. */}}
{{- define "anvil.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "anvil.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name: name an existing ServiceAccount when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* An image reference: (dict "root" $ "image" "context-engine"). */}}
{{- define "anvil.image" -}}
{{- $registry := .root.Values.image.registry | trimSuffix "/" -}}
{{- $tag := default .root.Chart.AppVersion .root.Values.image.tag -}}
{{- if $registry -}}
{{- printf "%s/anvil/%s:%s" $registry .image $tag -}}
{{- else -}}
{{- printf "anvil/%s:%s" .image $tag -}}
{{- end -}}
{{- end -}}

{{/* Pod-level security context: the restricted Pod Security Standard. */}}
{{- define "anvil.podSecurityContext" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: {{ .Values.securityContext.runAsUser }}
  runAsGroup: {{ .Values.securityContext.runAsGroup }}
  fsGroup: {{ .Values.securityContext.fsGroup }}
  fsGroupChangePolicy: OnRootMismatch
  seccompProfile:
    type: RuntimeDefault
{{- end -}}

{{/* Container-level security context: the restricted Pod Security Standard, read-only root. */}}
{{- define "anvil.containerSecurityContext" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: {{ .Values.securityContext.runAsUser }}
  runAsGroup: {{ .Values.securityContext.runAsGroup }}
  allowPrivilegeEscalation: false
  privileged: false
  readOnlyRootFilesystem: true
  capabilities:
    drop:
      - ALL
  seccompProfile:
    type: RuntimeDefault
{{- end -}}

{{/* ConfigMap of the policy pack: the existing one, or the chart's. */}}
{{- define "anvil.policyConfigMapName" -}}
{{- if .Values.policy.existingConfigMap.name -}}
{{- .Values.policy.existingConfigMap.name -}}
{{- else -}}
{{- printf "%s-policy-pack" (include "anvil.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* The pack's paths (schema.yaml, principals.yaml, policies/NAME.yaml), one per line, sorted. */}}
{{- define "anvil.policyPaths" -}}
{{- if .Values.policy.existingConfigMap.name -}}
{{- range (sortAlpha .Values.policy.existingConfigMap.files) }}
{{ . }}
{{- end -}}
{{- else if .Values.policy.files -}}
{{- range $path, $_ := .Values.policy.files }}
{{ $path }}
{{- end -}}
{{- else -}}
{{- range $path, $_ := .Files.Glob "files/policy-pack/**" }}
{{ trimPrefix "files/policy-pack/" $path }}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* ConfigMap key of a pack path: "/" is not allowed in keys. */}}
{{- define "anvil.policyKey" -}}
{{- . | replace "/" "_" -}}
{{- end -}}

{{/* The policy pack volume: the ConfigMap's keys mapped back to the pack's layout. */}}
{{- define "anvil.policyVolume" -}}
- name: policy-pack
  configMap:
    name: {{ include "anvil.policyConfigMapName" . }}
    items:
{{- range (include "anvil.policyPaths" . | trim | splitList "\n") }}
      - key: {{ include "anvil.policyKey" . }}
        path: {{ . }}
{{- end }}
{{- end -}}

{{/* Telemetry variables of a component: (dict "root" $ "service" "anvil-context-engine"). */}}
{{- define "anvil.telemetryConfig" -}}
{{- $v := .root.Values -}}
{{- $exporters := list -}}
{{- if $v.telemetry.otlp.endpoint -}}
{{- $exporters = append $exporters "otlp" -}}
{{- end -}}
{{- if $v.metrics.prometheus.enabled -}}
{{- $exporters = append $exporters "prometheus" -}}
{{- end -}}
{{- if $exporters }}
OTEL_SERVICE_NAME: {{ .service | quote }}
OTEL_TRACES_EXPORTER: {{ ternary "otlp" "none" (not (empty $v.telemetry.otlp.endpoint)) | quote }}
OTEL_METRICS_EXPORTER: {{ join "," $exporters | quote }}
{{- if $v.telemetry.otlp.endpoint }}
OTEL_EXPORTER_OTLP_ENDPOINT: {{ $v.telemetry.otlp.endpoint | quote }}
OTEL_EXPORTER_OTLP_PROTOCOL: {{ $v.telemetry.otlp.protocol | quote }}
{{- end }}
{{- if $v.metrics.prometheus.enabled }}
OTEL_EXPORTER_PROMETHEUS_HOST: "0.0.0.0"
OTEL_EXPORTER_PROMETHEUS_PORT: {{ $v.metrics.prometheus.port | quote }}
{{- end }}
{{- with $v.telemetry.resourceAttributes }}
OTEL_RESOURCE_ATTRIBUTES: {{ . | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* A NetworkPolicy peer (a one-item list) from a value: {cidr, except} or
     {namespaceSelector, podSelector}; the value's ports are not part of the peer. */}}
{{- define "anvil.networkPeer" -}}
{{- $peer := dict -}}
{{- if .cidr -}}
{{- $block := dict "cidr" .cidr -}}
{{- with .except }}{{ $_ := set $block "except" . }}{{ end -}}
{{- $_ := set $peer "ipBlock" $block -}}
{{- else -}}
{{- /* hasKey, not with: an empty namespaceSelector ({}) means every namespace. */ -}}
{{- if hasKey . "namespaceSelector" }}{{ $_ := set $peer "namespaceSelector" .namespaceSelector }}{{ end -}}
{{- if hasKey . "podSelector" }}{{ $_ := set $peer "podSelector" .podSelector }}{{ end -}}
{{- end -}}
{{- list $peer | toYaml -}}
{{- end -}}

{{/* Egress rules, one per peer, each with the peer's own ports: a list of peers. */}}
{{- define "anvil.egressRules" -}}
{{- range . }}
- to:
    {{- include "anvil.networkPeer" . | nindent 4 }}
  ports:
    {{- range .ports }}
    - port: {{ .port }}
      protocol: {{ default "TCP" .protocol }}
      {{- with .endPort }}
      endPort: {{ . }}
      {{- end }}
    {{- end }}
{{- end }}
{{- end -}}

{{/* Ingress peers: (dict "peers" LIST "clientLabel" KEY): the given ones, or else pods of the
     release namespace, only those labelled KEY: "true" if a KEY is given. */}}
{{- define "anvil.ingressPeers" -}}
{{- if .peers -}}
{{- range .peers }}
{{ include "anvil.networkPeer" . }}
{{- end }}
{{- else if .clientLabel -}}
- podSelector:
    matchLabels:
      {{ .clientLabel }}: "true"
{{- else -}}
- podSelector: {}
{{- end -}}
{{- end -}}

{{/* The ingress rule of the plaintext health port (a list of peers, networkPolicy.ingress.health):
     from those peers, or from anywhere if none, and to that port only. */}}
{{- define "anvil.healthIngressRule" -}}
# The plaintext health port: grpc.health.v1 only (no token, no data), for the kubelet's probes.
{{- if . }}
- from:
    {{- range . }}
    {{- include "anvil.networkPeer" . | nindent 4 }}
    {{- end }}
  ports:
    - port: health
      protocol: TCP
{{- else }}
- ports:
    - port: health
      protocol: TCP
{{- end }}
{{- end -}}

{{/* The pod label that admits a pod of the release namespace to a component's gRPC port when
     networkPolicy.ingress.<component>.grpc is empty. */}}
{{- define "anvil.clientLabel" -}}
anvil.dev/{{ . }}-client
{{- end -}}

{{/* The trainer's model registry PVC: the existing one, or the chart's. The context engine mounts
     it too (read-only), to switch to a promoted model. */}}
{{- define "anvil.trainerModelsClaim" -}}
{{- default (printf "%s-models" (include "anvil.componentName" (dict "root" . "component" "trainer"))) .Values.trainer.persistence.models.existingClaim -}}
{{- end -}}

{{/* The trainer's auth settings: its own, else the context engine's (the audience: its own only). */}}
{{- define "anvil.trainerAuth" -}}
{{- $ce := .Values.contextEngine.auth -}}
{{- $t := .Values.trainer.auth -}}
issuer: {{ default $ce.issuer $t.issuer | quote }}
audience: {{ $t.audience | quote }}
jwksUri: {{ default $ce.jwksUri $t.jwksUri | quote }}
{{- end -}}

{{/* The Secret with the gRPC ports' certificate (tls.crt, tls.key, ca.crt). */}}
{{- define "anvil.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "anvil.fullname" .)) .Values.tls.secretName -}}
{{- end -}}

{{/* Whether the trainer has a client certificate for the context engine: both run, with TLS. */}}
{{- define "anvil.trainerClientTls" -}}
{{- if and .Values.tls.enabled .Values.contextEngine.enabled .Values.trainer.enabled -}}
true
{{- end -}}
{{- end -}}

{{/* Whether the trainer reads training corpora from the context engine: both run, and the Secret
     with the trainer's client secret for token exchange is named. */}}
{{- define "anvil.trainerReadsEngine" -}}
{{- if and .Values.contextEngine.enabled .Values.trainer.enabled .Values.trainer.tokenExchange.secretName -}}
true
{{- end -}}
{{- end -}}

{{/* The Secret with the trainer's client certificate for the context engine (tls.crt, tls.key,
     ca.crt: the CA of the engine's certificate). */}}
{{- define "anvil.trainerClientTlsSecretName" -}}
{{- default (printf "%s-trainer-client-tls" (include "anvil.fullname" .)) .Values.tls.trainerClient.secretName -}}
{{- end -}}

{{/*
How a gRPC server listens, as ANVIL_* settings (root, healthPort): TLS from the mounted Secret, or
plaintext that says so; a plaintext port with health checks only, for the kubelet's grpc probes.
*/}}
{{- define "anvil.listenConfig" -}}
{{- $tls := .root.Values.tls -}}
ANVIL_HEALTH_PORT: {{ .healthPort | toString | quote }}
{{- if $tls.enabled }}
ANVIL_TLS_CERT: "/etc/anvil/tls/tls.crt"
ANVIL_TLS_KEY: "/etc/anvil/tls/tls.key"
{{- if ne $tls.clientAuth "none" }}
ANVIL_TLS_CLIENT_CA: "/etc/anvil/tls/ca.crt"
ANVIL_TLS_CLIENT_AUTH: {{ $tls.clientAuth | quote }}
{{- end }}
{{- else }}
ANVIL_INSECURE_PLAINTEXT: "true"
{{- end }}
{{- end -}}

{{/* The standard gRPC health service on the health-only port (probes cannot speak TLS). */}}
{{- define "anvil.grpcProbes" -}}
startupProbe:
  grpc:
    port: {{ .healthPort }}
    service: ""
  periodSeconds: {{ .startupProbe.periodSeconds }}
  failureThreshold: {{ .startupProbe.failureThreshold }}
readinessProbe:
  grpc:
    port: {{ .healthPort }}
    service: ""
  periodSeconds: 10
  failureThreshold: 3
livenessProbe:
  grpc:
    port: {{ .healthPort }}
    service: ""
  periodSeconds: 20
  timeoutSeconds: 5
  failureThreshold: 3
{{- end -}}

{{/* Whether the store's password Secret is mounted (store.url and its passwordSecret.name). */}}
{{- define "anvil.storePassword" -}}
{{- if and .Values.store.url .Values.store.passwordSecret.name -}}true{{- end -}}
{{- end -}}

{{/* Whether the context engine keeps its chunks in an Elasticsearch cluster
     (contextEngine.backend elasticsearch or opensearch, the same API): its settings, Secrets and egress exist only then. */}}
{{- define "anvil.elasticsearch" -}}
{{- if and .Values.contextEngine.enabled (has .Values.contextEngine.backend (list "elasticsearch" "opensearch")) -}}true{{- end -}}
{{- end -}}
