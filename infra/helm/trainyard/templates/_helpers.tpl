{{/* Names: <release>-trainyard-<part>, cut to 63 characters (a DNS label). */}}
{{- define "trainyard.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "trainyard.backend.name" -}}
{{- printf "%s-backend" (include "trainyard.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* A pool's worker Deployment: call with (dict "root" $ "pool" $pool). */}}
{{- define "trainyard.worker.name" -}}
{{- printf "%s-worker-%s" (include "trainyard.fullname" .root) .pool.name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every object: the selector's two plus trainyard.metaLabels. */}}
{{- define "trainyard.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{ include "trainyard.metaLabels" . }}
{{- end -}}

{{/* The labels that are in no selector (a pod template adds them to its selector's). */}}
{{- define "trainyard.metaLabels" -}}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "trainyard.backend.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: backend
{{- end -}}

{{- define "trainyard.worker.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: worker
trainyard.dev/pool: {{ .pool.name | quote }}
{{- end -}}

{{/* Secret names: the chart's own when secrets.create, else the existing one named in values. */}}
{{- define "trainyard.secret.database" -}}
{{- if .Values.secrets.create }}{{ include "trainyard.fullname" . }}-database{{ else }}{{ .Values.database.existingSecret }}{{ end -}}
{{- end -}}
{{- define "trainyard.secret.oidc" -}}
{{- if .Values.secrets.create }}{{ include "trainyard.fullname" . }}-oidc{{ else }}{{ .Values.oidc.existingSecret }}{{ end -}}
{{- end -}}
{{- define "trainyard.secret.audit" -}}
{{- if .Values.secrets.create }}{{ include "trainyard.fullname" . }}-audit{{ else }}{{ .Values.audit.existingSecret }}{{ end -}}
{{- end -}}
{{- define "trainyard.secret.s3" -}}
{{- if .Values.secrets.create }}{{ include "trainyard.fullname" . }}-s3{{ else }}{{ .Values.artifactStore.s3.existingSecret }}{{ end -}}
{{- end -}}

{{/* Where the Temporal client certificate, key and CA are mounted (backend and workers). */}}
{{- define "trainyard.temporalTlsDir" -}}/etc/trainyard/temporal-tls{{- end -}}
{{- define "trainyard.taskKeyDir" -}}/etc/trainyard/task-signing{{- end -}}

{{/* S3 settings as environment variables, for the backend and the workers alike. */}}
{{- define "trainyard.s3.env" -}}
{{- $s3 := .Values.artifactStore.s3 -}}
{{- if eq .Values.artifactStore.type "s3" }}
- name: {{ $s3.env.endpoint }}
  value: {{ required "artifactStore.s3.endpoint is required when artifactStore.type=s3" $s3.endpoint | quote }}
- name: {{ $s3.env.bucket }}
  value: {{ required "artifactStore.s3.bucket is required when artifactStore.type=s3" $s3.bucket | quote }}
{{- with $s3.region }}
- name: {{ $s3.env.region }}
  value: {{ . | quote }}
{{- end }}
- name: {{ $s3.env.accessKeyId }}
  valueFrom:
    secretKeyRef: {name: {{ include "trainyard.secret.s3" . }}, key: {{ $s3.accessKeyIdKey }}}
- name: {{ $s3.env.secretAccessKey }}
  valueFrom:
    secretKeyRef: {name: {{ include "trainyard.secret.s3" . }}, key: {{ $s3.secretAccessKeyKey }}}
{{- end }}
{{- end -}}

{{/* The host names the backend answers for (trainyard.http.allowed-hosts): its Service's in-cluster
     names, the ingress host and backend.allowedHosts; the pod's IP is added in the pod spec. */}}
{{- define "trainyard.backend.allowedHosts" -}}
{{- $svc := include "trainyard.backend.name" . -}}
{{- $hosts := list $svc (printf "%s.%s" $svc .Release.Namespace) (printf "%s.%s.svc" $svc .Release.Namespace) (printf "%s.%s.svc.cluster.local" $svc .Release.Namespace) -}}
{{- if .Values.ingress.enabled }}{{ $hosts = append $hosts .Values.ingress.host }}{{ end -}}
{{- join "," (concat $hosts .Values.backend.allowedHosts) -}}
{{- end -}}
