import { lazy, Suspense, useEffect, useState } from 'react';
import { Navigate, NavLink, Route, Routes } from 'react-router-dom';
import { hadSession, onUnauthorized, signIn as startSession } from './api/client';
import { SignIn } from './auth/SignIn';
import { Loading } from './common/states';
import { CheckpointsPage } from './checkpoints/CheckpointsPage';
import { EvalsPage } from './evals/EvalsPage';
import { WorkersPage } from './workers/WorkersPage';
import { RunsPage } from './runs/RunsPage';
import { TemplateEditorPage } from './templates/editor/TemplateEditorPage';
import { TemplateDetailPage } from './templates/TemplateDetailPage';
import { TemplatesPage } from './templates/TemplatesPage';

// Graph and chart pages load React Flow and uPlot on demand, keeping the runs list's first load small.
const ArtifactPage = lazy(() =>
  import('./artifacts/ArtifactPage').then((m) => ({ default: m.ArtifactPage })),
);
const RunDetailPage = lazy(() => import('./runs/RunDetailPage').then((m) => ({ default: m.RunDetailPage })));
const ComparePage = lazy(() => import('./compare/ComparePage').then((m) => ({ default: m.ComparePage })));
const LineageExplorerPage = lazy(() =>
  import('./lineage/LineageExplorerPage').then((m) => ({ default: m.LineageExplorerPage })),
);

export function App() {
  const [needsToken, setNeedsToken] = useState(false);
  // Bumped after sign-in so every page remounts and repeats the request that got the 401.
  const [epoch, setEpoch] = useState(0);
  // A browser that held a session and now gets a 401 is told why it is back at the sign-in page.
  const [stale, setStale] = useState(false);
  useEffect(
    () =>
      onUnauthorized(() => {
        setStale(hadSession());
        setNeedsToken(true);
      }),
    [],
  );

  const [signInError, setSignInError] = useState<string | null>(null);

  const signIn = (token: string) => {
    startSession(token)
      .then(() => {
        setSignInError(null);
        setNeedsToken(false);
        setEpoch((e) => e + 1);
      })
      .catch((e: Error) => setSignInError(e.message));
  };

  return (
    <>
      <header className="topbar">
        <NavLink to="/" className="brand">
          Trainyard
        </NavLink>
        <nav>
          <NavLink to="/templates">Templates</NavLink>
          <NavLink to="/runs">Runs</NavLink>
          <NavLink to="/checkpoints">Registry</NavLink>
          <NavLink to="/lineage">Lineage</NavLink>
          <NavLink to="/evals">Evals</NavLink>
          <NavLink to="/workers">Workers</NavLink>
        </nav>
      </header>
      <main key={epoch}>
        {needsToken ? (
          <SignIn onToken={signIn} error={signInError} stale={stale} />
        ) : (
          <Suspense fallback={<Loading />}>
            <Routes>
              <Route path="/" element={<Navigate to="/runs" replace />} />
              <Route path="/templates" element={<TemplatesPage />} />
              <Route path="/templates/:name" element={<TemplateDetailPage />} />
              <Route path="/editor" element={<TemplateEditorPage />} />
              <Route path="/editor/:name" element={<TemplateEditorPage />} />
              <Route path="/runs" element={<RunsPage />} />
              <Route path="/runs/:id" element={<RunDetailPage />} />
              <Route path="/compare" element={<ComparePage />} />
              <Route path="/artifacts/:id" element={<ArtifactPage />} />
              <Route path="/checkpoints" element={<CheckpointsPage />} />
              <Route path="/lineage" element={<LineageExplorerPage />} />
              <Route path="/evals" element={<EvalsPage />} />
              <Route path="/workers" element={<WorkersPage />} />
              <Route path="*" element={<p className="empty">Page not found.</p>} />
            </Routes>
          </Suspense>
        )}
      </main>
    </>
  );
}
