{{/* The chart's name, or nameOverride. */}}
{{- define "titelive-etl.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Resource name prefix: fullnameOverride, else the release name. CronJobs are
<prefix>-<category>-<stage> (what `titelive-etl pipeline --release` expects), so it is kept short.
*/}}
{{- define "titelive-etl.fullname" -}}
{{- $prefix := default .Release.Name .Values.fullnameOverride -}}
{{- if gt (len $prefix) 37 -}}
{{- fail (printf "the release name (or fullnameOverride) '%s' has %d characters; use at most 37 so that <name>-<category>-<stage> fits a CronJob name (52)" $prefix (len $prefix)) -}}
{{- end -}}
{{- $prefix -}}
{{- end -}}

{{/* Labels every resource carries (app.kubernetes.io/*). */}}
{{- define "titelive-etl.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "titelive-etl.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: titelive-etl
{{- end -}}

{{/* The labels that select this release's pods (stable across versions). */}}
{{- define "titelive-etl.selectorLabels" -}}
app.kubernetes.io/name: {{ include "titelive-etl.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* ServiceAccount of the stage pods, and of the pipeline pods. */}}
{{- define "titelive-etl.stageServiceAccount" -}}
{{- if .Values.serviceAccount.create -}}{{ include "titelive-etl.fullname" . }}{{- else -}}{{ default "default" .Values.serviceAccount.stageName }}{{- end -}}
{{- end -}}
{{- define "titelive-etl.pipelineServiceAccount" -}}
{{- if .Values.serviceAccount.create -}}{{ include "titelive-etl.fullname" . }}-pipeline{{- else -}}{{ default "default" .Values.serviceAccount.pipelineName }}{{- end -}}
{{- end -}}

{{- define "titelive-etl.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}
{{- end -}}
{{- end -}}

{{/* The categories that are enabled, paper first. */}}
{{- define "titelive-etl.enabledCategories" -}}
{{- $names := list -}}
{{- range $name := list "paper" "music" -}}
{{- if (index $.Values.categories $name).enabled -}}{{- $names = append $names $name -}}{{- end -}}
{{- end -}}
{{- $names | join "," -}}
{{- end -}}

{{/*
The pod template of every Job of the chart. Arguments (a dict): root (.), component (pipeline or
the stage), category, args (the CLI arguments), env (extra env entries), serviceAccount,
automountToken, volumes and volumeMounts (extra), resources, and scheduling (a dict of
nodeSelector, tolerations, affinity; each empty one falls back to the global value).
*/}}
{{- define "titelive-etl.podTemplate" -}}
{{- $root := .root -}}
{{- $values := $root.Values -}}
metadata:
  labels:
    {{- include "titelive-etl.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
    titelive-etl/category: {{ .category }}
    {{- with $values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with $values.podAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: {{ $values.terminationGracePeriodSeconds }}
  serviceAccountName: {{ .serviceAccount }}
  automountServiceAccountToken: {{ .automountToken }}
  {{- with $values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  {{- if $values.hostNetwork }}
  hostNetwork: true
  dnsPolicy: ClusterFirstWithHostNet
  {{- end }}
  {{- with $values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- toYaml $values.podSecurityContext | nindent 4 }}
  containers:
    - name: {{ .component }}
      image: {{ include "titelive-etl.image" $root }}
      imagePullPolicy: {{ $values.image.pullPolicy }}
      args:
        {{- toYaml .args | nindent 8 }}
      envFrom:
        - configMapRef:
            name: {{ include "titelive-etl.fullname" $root }}
        {{- with $values.extraEnvFrom }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      env:
        - name: CATEGORY
          value: {{ .category | quote }}
        {{- with .env }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
        {{- with $values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- if $values.metrics.enabled }}
      ports:
        - name: metrics
          containerPort: {{ $values.metrics.port }}
          protocol: TCP
      {{- end }}
      resources:
        {{- toYaml .resources | nindent 8 }}
      securityContext:
        {{- toYaml $values.securityContext | nindent 8 }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
        {{- with .volumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
        {{- with $values.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    - name: tmp
      emptyDir:
        sizeLimit: {{ $values.tmpVolume.sizeLimit }}
    {{- with .volumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
    {{- with $values.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- $scheduling := .scheduling | default dict }}
  {{- with $scheduling.nodeSelector | default $values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $scheduling.tolerations | default $values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $scheduling.affinity | default $values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{/*
Pod failure policy of every Job: exit 2 (bad configuration) and 3 (upstream stage incomplete)
fail the Job at once, retrying cannot help; evictions and preemptions do not count as failures.
*/}}
{{- define "titelive-etl.podFailurePolicy" -}}
podFailurePolicy:
  rules:
    - action: FailJob
      onExitCodes:
        containerName: {{ .container }}
        operator: In
        values: {{ .exitCodes | toJson }}
    - action: Ignore
      onPodConditions:
        - type: DisruptionTarget
          status: "True"
{{- end -}}

{{/*
A value as an environment variable's text: whole numbers without an exponent (YAML reads
4194304 as a float), anything else as written.
*/}}
{{- define "titelive-etl.envValue" -}}
{{- if and (kindIs "float64" .) (eq . (floor .)) -}}
{{- . | int64 | toString -}}
{{- else -}}
{{- . | toString -}}
{{- end -}}
{{- end }}

{{/*
What a pod needs to reach a service, as YAML of env, volumes and mounts: "titelive" (its share
of the request budget, PARALLELISM = budgetShares, and the credentials) and "mongodb" (the
connection string from its Secret, as a file). Takes a dict of root, needs and budgetShares.
*/}}
{{- define "titelive-etl.serviceAccess" -}}
{{- $values := .root.Values -}}
{{- $env := list -}}
{{- $volumes := list -}}
{{- $mounts := list -}}
{{- if has "titelive" .needs -}}
{{- $env = append $env (dict "name" "PARALLELISM" "value" (.budgetShares | toString)) -}}
{{- if eq $values.titelive.credentials.source "secret" -}}
{{- $env = concat $env (list (dict "name" "TITELIVE_USERNAME_FILE" "value" "/var/run/secrets/titelive/username") (dict "name" "TITELIVE_PASSWORD_FILE" "value" "/var/run/secrets/titelive/password")) -}}
{{- $volumes = append $volumes (dict "name" "titelive-credentials" "secret" (dict "secretName" $values.titelive.credentials.existingSecret "items" (list (dict "key" $values.titelive.credentials.usernameKey "path" "username") (dict "key" $values.titelive.credentials.passwordKey "path" "password")))) -}}
{{- $mounts = append $mounts (dict "name" "titelive-credentials" "mountPath" "/var/run/secrets/titelive" "readOnly" true) -}}
{{- end -}}
{{- end -}}
{{- if has "mongodb" .needs -}}
{{- $env = append $env (dict "name" "MONGODB_URI_FILE" "value" "/var/run/secrets/mongodb/uri") -}}
{{- $volumes = append $volumes (dict "name" "mongodb" "secret" (dict "secretName" $values.mongodb.existingSecret "items" (list (dict "key" $values.mongodb.uriKey "path" "uri")))) -}}
{{- $mounts = append $mounts (dict "name" "mongodb" "mountPath" "/var/run/secrets/mongodb" "readOnly" true) -}}
{{- end -}}
{{- toYaml (dict "env" $env "volumes" $volumes "mounts" $mounts) -}}
{{- end -}}
