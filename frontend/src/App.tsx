import { useEffect, useState } from 'react';
import { Navigate, NavLink, Route, Routes } from 'react-router-dom';
import { onUnauthorized, setToken } from './api/client';
import { ArtifactPage } from './artifacts/ArtifactPage';
import { SignIn } from './auth/SignIn';
import { RunDetailPage } from './runs/RunDetailPage';
import { RunsPage } from './runs/RunsPage';
import { TemplateDetailPage } from './templates/TemplateDetailPage';
import { TemplatesPage } from './templates/TemplatesPage';

export function App() {
  const [needsToken, setNeedsToken] = useState(false);
  // Bumped after sign-in so every page remounts and repeats the request that got the 401.
  const [epoch, setEpoch] = useState(0);
  useEffect(() => onUnauthorized(() => setNeedsToken(true)), []);

  const signIn = (token: string) => {
    setToken(token);
    setNeedsToken(false);
    setEpoch((e) => e + 1);
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
        </nav>
      </header>
      <main key={epoch}>
        {needsToken ? (
          <SignIn onToken={signIn} />
        ) : (
          <Routes>
            <Route path="/" element={<Navigate to="/runs" replace />} />
            <Route path="/templates" element={<TemplatesPage />} />
            <Route path="/templates/:name" element={<TemplateDetailPage />} />
            <Route path="/runs" element={<RunsPage />} />
            <Route path="/runs/:id" element={<RunDetailPage />} />
            <Route path="/artifacts/:id" element={<ArtifactPage />} />
            <Route path="*" element={<p className="empty">Page not found.</p>} />
          </Routes>
        )}
      </main>
    </>
  );
}
