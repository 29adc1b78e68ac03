/**
 * What `deno doc mod.ts` (and so JSR) shows: each namespace of the package
 * with its own module doc and an example, never the package's description.
 */
import { assert } from "@std/assert"
import { testAsync } from "./support/mod.ts"

interface JsDoc {
  readonly doc?: string
  readonly tags?: ReadonlyArray<{ readonly kind: string; readonly doc?: string }>
}

/** The description and the `@example`s of a doc block. */
const text = (jsDoc: JsDoc | undefined): string =>
  [jsDoc?.doc ?? "", ...(jsDoc?.tags ?? []).filter((t) => t.kind === "example").map((t) => t.doc ?? "")].join("\n")

interface DocNode {
  readonly module_doc?: { readonly doc?: string }
  readonly symbols: ReadonlyArray<{
    readonly name: string
    readonly declarations: ReadonlyArray<{ readonly kind: string; readonly jsDoc?: JsDoc }>
  }>
}

testAsync("deno doc shows every namespace of mod.ts with its own module doc and an example", async () => {
  const mod = new URL("../mod.ts", import.meta.url)
  const out = await new Deno.Command(Deno.execPath(), { args: ["doc", "--json", mod.pathname], stdout: "piped" })
    .output()
  assert(out.success, "deno doc failed")
  const json = JSON.parse(new TextDecoder().decode(out.stdout)) as { nodes: Record<string, DocNode> }
  const node = json.nodes[mod.href]
  const packageDoc = node.module_doc?.doc ?? ""
  assert(packageDoc.length > 0, "mod.ts has no module doc")
  const namespaces = node.symbols.flatMap((s) =>
    s.declarations.filter((d) => d.kind === "namespace").map((d) => ({
      name: s.name,
      description: d.jsDoc?.doc ?? "",
      doc: text(d.jsDoc),
    }))
  )
  assert(namespaces.length >= 20, `only ${namespaces.length} namespaces`)
  const wrong = namespaces.filter(({ description, doc }) =>
    description.length === 0 || description === packageDoc || !doc.includes("```ts")
  )
  assert(
    wrong.length === 0,
    `namespaces without a module doc of their own with an example: ${wrong.map((n) => n.name).join(", ")}`,
  )
  for (const { name, doc } of namespaces) {
    assert(doc.includes(`mp.${name}.`), `the example of ${name} does not use mp.${name}`)
  }
}, { timeout: 60_000 })

testAsync(
  "deno doc shows every value a namespace of mod.ts exports, also those from the files its module spreads over",
  async () => {
    const mod = new URL("../mod.ts", import.meta.url)
    const mp = await import(mod.href) as Record<string, Record<string, unknown>>
    const out = await new Deno.Command(Deno.execPath(), { args: ["doc", "--json", mod.pathname], stdout: "piped" })
      .output()
    assert(out.success, "deno doc failed")
    const json = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      nodes: Record<string, { symbols: ReadonlyArray<{ name: string; declarations: ReadonlyArray<NamespaceDecl> }> }>
    }
    const missing: Array<string> = []
    for (const s of json.nodes[mod.href].symbols) {
      for (const d of s.declarations) {
        if (d.kind !== "namespace") continue
        const shown = new Set(d.def?.elements.map((e) => e.name))
        for (const name of Object.keys(mp[s.name] ?? {})) if (!shown.has(name)) missing.push(`${s.name}.${name}`)
      }
    }
    // A namespace's `export { x } from "./file.ts"` is left out by deno doc; `export *` or a declaration is shown.
    assert(missing.length === 0, `exported but not in the docs: ${missing.join(", ")}`)
  },
  { timeout: 60_000 },
)

interface NamespaceDecl {
  readonly kind: string
  readonly def?: { readonly elements: ReadonlyArray<{ readonly name: string }> }
}
