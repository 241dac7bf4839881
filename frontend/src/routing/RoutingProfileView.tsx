import { useSearchParams } from 'react-router-dom';
import { api } from '../api/client';
import type { Artifact } from '../api/types';
import { formatCount } from '../common/format';
import { ErrorBox, Loading } from '../common/states';
import { useApi } from '../common/useApi';
import { formatCell, Heatmap, scaleFor, type Scale } from './Heatmap';
import {
  comparisonRefusal,
  differenceGrid,
  MATRICES,
  MATRIX_LABELS,
  parseProfile,
  PROFILE_FILE,
  STATISTIC_HELP,
  STATISTIC_LABELS,
  STATISTICS,
  statisticGrid,
  type Grid,
  type MatrixName,
  type RoutingProfile,
  type Statistic,
} from './profile';
import { comparableProfiles, profileOptionLabel } from './profileOptions';

// The page state lives in the query (?stat=…&layer=…&compare=<artifact id>) so a comparison is a link.

const loadProfile = (id: string, signal: AbortSignal) =>
  api.getArtifactFileText(id, PROFILE_FILE, signal).then(parseProfile);

/**
 * What a profile is called in labels: the dataset subset it was measured on, else the step that made it
 * (two route-stats steps of one run over two datasets), else the artifact's name.
 */
const profileName = (p: RoutingProfile, a: Pick<Artifact, 'name' | 'producedBy'> | undefined) =>
  p.dataset.subset ?? a?.producedBy?.stepId ?? a?.name ?? 'this profile';

export function RoutingProfileView({ artifact }: { artifact: Artifact }) {
  const [params, setParams] = useSearchParams();
  const stat = (STATISTICS as readonly string[]).includes(params.get('stat') ?? '')
    ? (params.get('stat') as Statistic)
    : 'frequency';
  const compare = params.get('compare') ?? '';
  const set = (key: string, value: string | null) =>
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        if (value === null || value === '') next.delete(key);
        else next.set(key, value);
        return next;
      },
      { replace: true },
    );

  const profile = useApi((s) => loadProfile(artifact.id, s), [artifact.id]);
  const p = profile.data;
  const layerParam = Number(params.get('layer') ?? 0);
  const layer =
    p && Number.isInteger(layerParam) && layerParam >= 0 && layerParam < p.layers.length ? layerParam : 0;

  return (
    <section aria-label="Routing profile" className="routing">
      <h2>Routing profile</h2>
      {profile.error && <ErrorBox error={profile.error} title="Could not read profile.json" />}
      {profile.loading && !p && <Loading what="Loading the routing profile" />}
      {p && (
        <>
          <ProfileFacts p={p} />
          <div className="routing-controls">
            <label>
              Statistic{' '}
              <select
                value={stat}
                onChange={(e) => set('stat', e.target.value === 'frequency' ? null : e.target.value)}
              >
                {STATISTICS.map((s) => (
                  <option key={s} value={s}>
                    {STATISTIC_LABELS[s]}
                  </option>
                ))}
              </select>
            </label>
            <CompareSelect current={artifact.id} value={compare} onChange={(v) => set('compare', v)} />
          </div>
          <p className="muted small">{STATISTIC_HELP[stat]}.</p>
          <h3>
            {STATISTIC_LABELS[stat]} per layer × expert — {profileName(p, artifact)}
          </h3>
          <StatHeatmap p={p} stat={stat} />
          {compare && (
            <Comparison a={p} aName={profileName(p, artifact)} otherId={compare} stat={stat} layer={layer} />
          )}
          <h3>
            Layer {layer}: expert × expert{' '}
            <select
              aria-label="Layer"
              value={layer}
              onChange={(e) => set('layer', e.target.value === '0' ? null : e.target.value)}
            >
              {p.layers.map((l) => (
                <option key={l.layer} value={l.layer}>
                  layer {l.layer} ({p.model.layer_experts[l.layer]} experts)
                </option>
              ))}
            </select>
          </h3>
          <div className="columns">
            {MATRICES.map((m) => (
              <div key={m}>
                <h4>{MATRIX_LABELS[m]}</h4>
                <MatrixHeatmap values={p.layers[layer][m]} matrix={m} layer={layer} />
              </div>
            ))}
          </div>
        </>
      )}
    </section>
  );
}

function ProfileFacts({ p }: { p: RoutingProfile }) {
  const uniform = p.model.layer_experts.every((n) => n === p.model.layer_experts[0]);
  return (
    <dl className="facts">
      <dt>Model</dt>
      <dd>
        {p.model.model_type} · {p.layers.length} layers ·{' '}
        {uniform
          ? `${p.model.layer_experts[0]} experts per layer`
          : `experts per layer ${p.model.layer_experts.join(', ')}`}{' '}
        · top-{p.model.num_experts_per_tok}
      </dd>
      <dt>Router fingerprint</dt>
      <dd>
        <code className="break small">{p.model.router_fingerprint}</code>
      </dd>
      <dt>Dataset</dt>
      <dd>
        {p.dataset.subset ?? 'whole dataset'} · {formatCount(p.dataset.tokens)} tokens (
        {p.dataset.tokens.toLocaleString('en')}) · {p.dataset.sequences.toLocaleString('en')} sequences
      </dd>
    </dl>
  );
}

const expertLabels = (n: number) => Array.from({ length: n }, (_, j) => `E${j}`);
const layerLabels = (p: RoutingProfile) => p.layers.map((l) => `layer ${l.layer}`);
const missing = (p: RoutingProfile, i: number) => `layer ${i} has ${p.model.layer_experts[i]} experts`;

function StatHeatmap({ p, stat }: { p: RoutingProfile; stat: Statistic }) {
  const values = statisticGrid(p, stat);
  return (
    <Heatmap
      label={`${STATISTIC_LABELS[stat]} per layer and expert`}
      testId="profile-heatmap"
      rowLabels={layerLabels(p)}
      colLabels={expertLabels(p.model.num_local_experts)}
      values={values}
      scale={scaleFor(values, 'sequential')}
      describe={(i, j, v) =>
        v === null ? missing(p, i) : `layer ${i}, expert ${j}: ${STATISTIC_LABELS[stat]} ${formatCell(v)}`
      }
    />
  );
}

// Co-activation is a share (0..1); cosine similarity runs from -1 to 1, so it gets a fixed diverging scale.
const MATRIX_SCALE = (m: MatrixName, values: Grid): Scale =>
  m === 'router_logit_similarity' ? { kind: 'diverging', max: 1 } : scaleFor(values, 'sequential');

function MatrixHeatmap({ values, matrix, layer }: { values: Grid; matrix: MatrixName; layer: number }) {
  const labels = expertLabels(values.length);
  return (
    <Heatmap
      label={`layer ${layer} ${MATRIX_LABELS[matrix]}`}
      testId={`matrix-${matrix}`}
      rowLabels={labels}
      colLabels={labels}
      values={values}
      scale={MATRIX_SCALE(matrix, values)}
      describe={(i, j, v) =>
        `layer ${layer}, experts ${i} and ${j}: ${MATRIX_LABELS[matrix]} ${formatCell(v ?? 0)}`
      }
    />
  );
}

function CompareSelect({
  current,
  value,
  onChange,
}: {
  current: string;
  value: string;
  onChange: (id: string) => void;
}) {
  const list = useApi((s) => api.listArtifacts('routing-profile', 200, s), []);
  const options = list.data ? comparableProfiles(list.data.items, current) : [];
  // A link may name a profile older than the list's page: keep it selectable under its id.
  const linked = value && !options.some((o) => o.id === value);
  return (
    <label>
      Compare with{' '}
      <select value={value} onChange={(e) => onChange(e.target.value)} disabled={!list.data && !value}>
        <option value="">{list.loading && !list.data ? 'loading profiles…' : '— no comparison —'}</option>
        {linked && <option value={value}>the profile in the link</option>}
        {options.map((a) => (
          <option key={a.id} value={a.id}>
            {profileOptionLabel(a)}
          </option>
        ))}
      </select>
      {list.data && options.length === 0 && (
        <span className="muted small"> no other routing profiles yet</span>
      )}
    </label>
  );
}

function Comparison({
  a,
  aName,
  otherId,
  stat,
  layer,
}: {
  a: RoutingProfile;
  aName: string;
  otherId: string;
  stat: Statistic;
  layer: number;
}) {
  const other = useApi((s) => Promise.all([loadProfile(otherId, s), api.getArtifact(otherId, s)]), [otherId]);
  if (other.error) return <ErrorBox error={other.error} title="Could not read the profile to compare with" />;
  if (!other.data) return <Loading what="Loading the profile to compare with" />;
  const [b, bArtifact] = other.data;
  const bName = profileName(b, bArtifact);
  const refusal = comparisonRefusal(a, b);
  if (refusal)
    return (
      <div className="banner banner-error" role="alert" data-testid="comparison-refused">
        <strong>Cannot compare with {bArtifact.name ?? 'that profile'}: </strong>
        {refusal}
      </div>
    );
  const ga = statisticGrid(a, stat);
  const gb = statisticGrid(b, stat);
  const diff = differenceGrid(ga, gb);
  const coDiff = differenceGrid(a.layers[layer].coactivation, b.layers[layer].coactivation);
  const title = `${aName} − ${bName}`;
  return (
    <div data-testid="comparison">
      <h3>
        Difference of {STATISTIC_LABELS[stat]}: {title}
      </h3>
      <p className="muted small">
        Red: higher on {aName}; blue: higher on {bName}. The same model (
        {a.model.router_fingerprint.slice(0, 12)}…) over two datasets.
      </p>
      <Heatmap
        label={`difference of ${STATISTIC_LABELS[stat]}, ${title}`}
        testId="difference-heatmap"
        rowLabels={layerLabels(a)}
        colLabels={expertLabels(a.model.num_local_experts)}
        values={diff}
        scale={scaleFor(diff, 'diverging')}
        describe={(i, j, v) =>
          v === null
            ? missing(a, i)
            : `layer ${i}, expert ${j}: ${formatCell(ga[i][j] as number)} on ${aName}, ${formatCell(gb[i][j] as number)} on ${bName}, difference ${v > 0 ? '+' : ''}${formatCell(v)}`
        }
      />
      <h4>Layer {layer} co-activation difference</h4>
      <Heatmap
        label={`layer ${layer} co-activation difference, ${title}`}
        testId="coactivation-difference"
        rowLabels={expertLabels(a.model.layer_experts[layer])}
        colLabels={expertLabels(a.model.layer_experts[layer])}
        values={coDiff}
        scale={scaleFor(coDiff, 'diverging')}
        describe={(i, j, v) =>
          `layer ${layer}, experts ${i} and ${j}: co-activation difference ${formatCell(v ?? 0)}`
        }
      />
    </div>
  );
}
