// A combobox (WAI-ARIA 1.2 pattern) that searches checkpoints or datasets by alias, name or content-hash
// prefix as the user types. The text stays free: anything the server resolves may be typed by hand.
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { api } from '../api/client';
import type { Alias, ArtifactSummary, DatasetVersion } from '../api/types';
import {
  datasetOptions,
  datasetSearchText,
  pickerOptions,
  searchType,
  unresolvedDataset,
  unresolvedMessage,
  type PickerKind,
  type PickerOption,
} from './pickerOptions';

const PAGE = 50;
const DEBOUNCE_MS = 150;

interface Props {
  id: string;
  name: string;
  kind: PickerKind;
  value: string;
  onChange: (value: string) => void;
  /** Reports the server's "not found" message for the current text once a search has decided it, else null. */
  onResolved?: (message: string | null) => void;
  placeholder?: string;
  invalid?: boolean;
  describedBy?: string;
  required?: boolean;
}

type Search =
  | { state: 'idle' }
  | { state: 'loading' }
  | { state: 'error'; message: string }
  | { state: 'done'; q: string; artifacts: ArtifactSummary[]; versions?: DatasetVersion[] };

export function ArtifactPicker({
  id,
  name,
  kind,
  value,
  onChange,
  onResolved,
  placeholder,
  invalid,
  describedBy,
  required,
}: Props) {
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const [search, setSearch] = useState<Search>({ state: 'idle' });
  const [aliases, setAliases] = useState<Alias[] | null>(null);
  const [chosen, setChosen] = useState<PickerOption | null>(null);
  // Searches only start once the user touches the field, so a form that is merely shown costs no requests.
  const [touched, setTouched] = useState(false);
  const onResolvedRef = useRef(onResolved);
  onResolvedRef.current = onResolved;
  const listId = `${id}-listbox`;

  useEffect(() => {
    if (!touched) return;
    const ctl = new AbortController();
    setSearch({ state: 'loading' });
    onResolvedRef.current?.(null); // the verdict was about the previous text
    const timer = setTimeout(() => {
      const q = value.trim();
      const al = aliases ? Promise.resolve({ items: aliases }) : api.listAliases(ctl.signal);
      // A dataset parameter picks a version: the dataset list knows names, numbers and formats.
      const searched =
        kind === 'dataset'
          ? Promise.all([
              api.listDatasets({ q: datasetSearchText(q) || undefined, limit: PAGE }, ctl.signal),
              al,
            ]).then(([found, al]) => {
              if (ctl.signal.aborted) return;
              setAliases(al.items);
              setSearch({ state: 'done', q, artifacts: [], versions: found.items });
              onResolvedRef.current?.(
                unresolvedDataset(q, found.items, al.items, found.items.length >= PAGE),
              );
            })
          : Promise.all([
              api.searchArtifacts({ type: searchType(kind), q: q || undefined, limit: PAGE }, ctl.signal),
              al,
            ]).then(([found, al]) => {
              if (ctl.signal.aborted) return;
              setAliases(al.items);
              setSearch({ state: 'done', q, artifacts: found.items });
              onResolvedRef.current?.(
                unresolvedMessage(kind, q, found.items, al.items, found.items.length >= PAGE),
              );
            });
      searched.catch((e: unknown) => {
        if (ctl.signal.aborted) return;
        setSearch({ state: 'error', message: e instanceof Error ? e.message : String(e) });
        onResolvedRef.current?.(null); // cannot tell: leave it to the server
      });
    }, DEBOUNCE_MS);
    return () => {
      ctl.abort();
      clearTimeout(timer);
    };
    // aliases are loaded once and then reused; refetching them per keystroke would be waste
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value, kind, touched]);

  const options =
    search.state !== 'done'
      ? []
      : search.versions
        ? datasetOptions(search.q, search.versions, aliases ?? [])
        : pickerOptions(search.q, search.artifacts, aliases ?? []);
  const expanded = open && touched;

  const choose = (o: PickerOption) => {
    setChosen(o);
    onChange(o.value);
    setOpen(false);
    setActive(-1);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      setTouched(true);
      if (!open) {
        setOpen(true);
        return;
      }
      if (options.length === 0) return;
      const step = e.key === 'ArrowDown' ? 1 : -1;
      setActive((i) => (i + step + options.length) % options.length);
    } else if (e.key === 'Enter' && expanded && active >= 0 && options[active]) {
      e.preventDefault(); // pick the option, do not submit the form
      choose(options[active]);
    } else if (e.key === 'Escape' && open) {
      e.preventDefault();
      setOpen(false);
      setActive(-1);
    }
  };

  const noun = kind === 'dataset' ? 'datasets' : 'checkpoints';
  return (
    <div className="picker">
      <input
        id={id}
        name={name}
        type="text"
        role="combobox"
        autoComplete="off"
        aria-autocomplete="list"
        aria-expanded={expanded}
        aria-controls={listId}
        aria-activedescendant={expanded && active >= 0 ? `${id}-option-${active}` : undefined}
        aria-invalid={invalid || undefined}
        aria-describedby={describedBy}
        aria-required={required || undefined}
        placeholder={placeholder}
        value={value}
        onChange={(e) => {
          setTouched(true);
          setOpen(true);
          setActive(-1);
          setChosen(null);
          onChange(e.target.value);
        }}
        onFocus={() => {
          setTouched(true);
          setOpen(true);
        }}
        onBlur={() => setOpen(false)}
        onKeyDown={onKeyDown}
      />
      {expanded && (
        <div className="picker-popup">
          {search.state === 'loading' && (
            <p className="muted picker-state" role="status">
              Searching {noun}…
            </p>
          )}
          {search.state === 'error' && (
            <p className="field-error picker-state" role="alert">
              Could not search {noun}: {search.message}
            </p>
          )}
          {search.state === 'done' && options.length === 0 && (
            <p className="muted picker-state" role="status">
              {search.q ? `No ${noun} match “${search.q}”.` : `No ${noun} yet.`}
            </p>
          )}
          {/* Always in the DOM while open so aria-controls points at something; empty when nothing matches. */}
          <ul id={listId} role="listbox" aria-label={`Matching ${noun}`} className="picker-list">
            {options.map((o, i) => (
              <li
                key={`${o.viaAlias ?? ''}:${o.artifact.id}`}
                id={`${id}-option-${i}`}
                role="option"
                aria-selected={i === active}
                className={i === active ? 'picker-option active' : 'picker-option'}
                // mousedown, not click: it runs before the input's blur closes the list
                onMouseDown={(e) => {
                  e.preventDefault();
                  choose(o);
                }}
              >
                <span className="picker-label">
                  {o.viaAlias && <span className="alias">alias</span>}
                  {o.label}
                </span>
                <span className="picker-detail muted small">{o.detail}</span>
              </li>
            ))}
          </ul>
        </div>
      )}
      {chosen && !open && (
        <small className="muted picker-chosen" data-testid={`${id}-chosen`}>
          {chosen.viaAlias ? `alias ${chosen.viaAlias} → ` : ''}
          {chosen.artifact.name ?? chosen.artifact.type} <code>{chosen.artifact.id.slice(0, 12)}</code>
        </small>
      )}
    </div>
  );
}
