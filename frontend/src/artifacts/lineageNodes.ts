import type { Lineage, LineageNode } from '../api/types';
import { hrefOf } from '../lineage/lineageGraph';

export interface NodeLink {
  node: LineageNode;
  /** Dashboard route for the node, if it has a page. */
  href: string | null;
  /** Roles of the edges that touch this node. */
  roles: string[];
}

/** Turns `artifact:<id>` / `step:<runId>/<stepId>/<attempt>` node ids into page links, root excluded. */
export function lineageLinks(lineage: Lineage): NodeLink[] {
  return lineage.nodes
    .filter((n) => n.id !== lineage.root)
    .map((node) => {
      const roles = [
        ...new Set(lineage.edges.filter((e) => e.from === node.id || e.to === node.id).map((e) => e.role)),
      ];
      return { node, href: hrefOf(node.id), roles };
    });
}
