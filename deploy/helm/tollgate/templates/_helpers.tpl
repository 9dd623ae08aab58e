{{/* Names, labels and the checks every template shares. */}}

{{- define "tollgate.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "tollgate.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "tollgate.selectorLabels" -}}
app.kubernetes.io/name: {{ include "tollgate.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "tollgate.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "tollgate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tollgate
{{- end }}

{{- define "tollgate.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "tollgate.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "tollgate.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* More than one pod may run at once. */}}
{{- define "tollgate.multiReplica" -}}
{{- if or .Values.autoscaling.enabled (gt (int .Values.replicaCount) 1) }}true{{- end }}
{{- end }}

{{- define "tollgate.apiTokensSecret" -}}
{{- default (printf "%s-api-tokens" (include "tollgate.fullname" .)) .Values.apiTokens.existingSecret }}
{{- end }}

{{- define "tollgate.databaseSecret" -}}
{{- default (printf "%s-database" (include "tollgate.fullname" .)) .Values.database.existingSecret }}
{{- end }}

{{- define "tollgate.osvClaim" -}}
{{- default (printf "%s-osv" (include "tollgate.fullname" .)) .Values.osvDatabase.persistence.existingClaim }}
{{- end }}

{{- define "tollgate.dataClaim" -}}
{{- default (printf "%s-data" (include "tollgate.fullname" .)) .Values.data.persistence.existingClaim }}
{{- end }}

{{/* Refuse settings that cannot work, with the reason. */}}
{{- define "tollgate.validate" -}}
{{- if include "tollgate.multiReplica" . }}
{{- if not .Values.database.enabled }}
{{- fail "several replicas (replicaCount > 1 or autoscaling.enabled) share their state through PostgreSQL: set database.enabled with database.existingSecret or database.url" }}
{{- end }}
{{- if and .Values.data.persistence.enabled (not (has "ReadWriteMany" .Values.data.persistence.accessModes)) }}
{{- fail "several replicas cannot mount one ReadWriteOnce data volume: set data.persistence.enabled=false (state is in PostgreSQL) or accessModes [ReadWriteMany]" }}
{{- end }}
{{- end }}
{{- if and .Values.database.enabled (not .Values.database.existingSecret) (not .Values.database.url) }}
{{- fail "database.enabled needs database.existingSecret or database.url" }}
{{- end }}
{{- end }}

{{/* The pod spec part shared by the CronJob and the install-time Job: `tollgate db update`. */}}
{{- define "tollgate.dbUpdatePod" -}}
serviceAccountName: {{ include "tollgate.serviceAccountName" . }}
restartPolicy: OnFailure
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
containers:
  - name: db-update
    image: {{ include "tollgate.image" . }}
    imagePullPolicy: {{ .Values.image.pullPolicy }}
    args:
      - db
      - update
      - --osv-db
      - /osv
      - --no-progress
      {{- range .Values.osvDatabase.ecosystems }}
      - --ecosystem
      - {{ . | quote }}
      {{- end }}
    {{- with .Values.osvDatabase.dumpUrl }}
    env:
      - name: TOLLGATE_OSV_DUMP_URL
        value: {{ . | quote }}
    {{- end }}
    securityContext:
      {{- toYaml .Values.securityContext | nindent 6 }}
    resources:
      {{- toYaml .Values.osvDatabase.update.resources | nindent 6 }}
    volumeMounts:
      - name: osv
        mountPath: /osv
      - name: tmp
        mountPath: /tmp
volumes:
  - name: osv
    persistentVolumeClaim:
      claimName: {{ include "tollgate.osvClaim" . }}
  - name: tmp
    emptyDir: {}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
