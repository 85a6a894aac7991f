{{- define "musicsync.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "musicsync.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "musicsync.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "musicsync.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "musicsync.selectorLabels" -}}
app.kubernetes.io/name: {{ include "musicsync.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "musicsync.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "musicsync.secretName" -}}
{{ .Values.existingSecret | default (include "musicsync.fullname" .) }}
{{- end -}}

{{- define "musicsync.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{ default (include "musicsync.fullname" .) .Values.serviceAccount.name }}
{{- else -}}
{{ default "default" .Values.serviceAccount.name }}
{{- end -}}
{{- end -}}

{{/* Environment shared by every container: the ConfigMap, the Secret, and the hosts. */}}
{{- define "musicsync.envFrom" -}}
- configMapRef:
    name: {{ include "musicsync.fullname" . }}
- secretRef:
    name: {{ include "musicsync.secretName" . }}
{{- end -}}

{{/* Pods wait here until `migrate --check` says the schema is current. */}}
{{- define "musicsync.waitForMigrations" -}}
{{- if .Values.migrations.enabled }}
initContainers:
  - name: wait-for-migrations
    image: {{ include "musicsync.image" . }}
    imagePullPolicy: {{ .Values.image.pullPolicy }}
    command: ["sh", "-c", "until python manage.py migrate --check >/dev/null 2>&1; do echo waiting for migrations; sleep 5; done"]
    envFrom:
      {{- include "musicsync.envFrom" . | nindent 6 }}
    securityContext:
      {{- toYaml .Values.securityContext | nindent 6 }}
    resources:
      {{- toYaml .Values.scheduler.resources | nindent 6 }}
    volumeMounts:
      - {name: tmp, mountPath: /tmp}
{{- end }}
{{- end -}}

{{- define "musicsync.podSpecCommon" -}}
serviceAccountName: {{ include "musicsync.serviceAccountName" . }}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  - name: tmp
    emptyDir: {}
{{- end -}}

{{- define "musicsync.firstHost" -}}
{{ first .Values.hosts | default "localhost" }}
{{- end -}}

{{- define "musicsync.origins" -}}
{{- $origins := list -}}
{{- range .Values.hosts -}}
{{- $origins = append $origins (printf "https://%s" .) -}}
{{- end -}}
{{ join "," $origins }}
{{- end -}}
