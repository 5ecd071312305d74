"use client";

import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap } from "@codemirror/autocomplete";
import { bracketMatching, defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { linter, type Diagnostic } from "@codemirror/lint";
import { EditorState } from "@codemirror/state";
import { drawSelection, EditorView, highlightSpecialChars, keymap, placeholder as placeholderText } from "@codemirror/view";
import { useEffect, useRef } from "react";
import type { RuleCheck } from "~/core/rules/rules";
import { celLanguage, ruleCompletions, ruleHistory, type RuleVocabulary } from "./cel-language";

interface RuleEditorProps {
  value: string;
  onChange: (value: string) => void;
  vocabulary: RuleVocabulary;
  /** Asks the server's checker; its problems become inline marks. */
  check: (rule: string) => Promise<RuleCheck>;
  /** The latest check, for the summary under the editor. */
  onChecked?: (rule: string, result: RuleCheck | null) => void;
  label: string;
  describedBy?: string | undefined;
  invalid?: boolean | undefined;
  placeholder?: string;
}

const theme = EditorView.theme({
  "&": {
    fontSize: "0.8125rem",
    border: "1px solid hsl(var(--input))",
    borderRadius: "calc(var(--radius) - 2px)",
    backgroundColor: "hsl(var(--background))",
  },
  "&.cm-focused": { outline: "none", boxShadow: "0 0 0 1px hsl(var(--ring))" },
  ".cm-content": {
    fontFamily: "ui-monospace, SFMono-Regular, Menlo, monospace",
    padding: "0.5rem 0",
    minHeight: "5.5rem",
    caretColor: "hsl(var(--foreground))",
  },
  ".cm-line": { padding: "0 0.75rem" },
  ".cm-placeholder": { color: "hsl(var(--muted-foreground))" },
  ".cm-tooltip": {
    border: "1px solid hsl(var(--border))",
    borderRadius: "calc(var(--radius) - 2px)",
    backgroundColor: "hsl(var(--popover, var(--background)))",
  },
  ".cm-tooltip-autocomplete > ul > li[aria-selected]": { backgroundColor: "hsl(var(--primary))", color: "hsl(var(--primary-foreground))" },
  ".cm-completionDetail": { marginLeft: "0.75rem", opacity: "0.7", fontStyle: "normal" },
  ".cm-diagnostic": { fontSize: "0.75rem", padding: "0.25rem 0.5rem" },
});

/**
 * The CEL rule editor: highlighting, completion of attributes, fields and window functions, and
 * inline problems from the server's checker (debounced by the lint extension).
 */
export function RuleEditor({ value, onChange, vocabulary, check, onChecked, label, describedBy, invalid, placeholder }: RuleEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  // The extensions are built once; these refs let them see the latest props.
  const latest = useRef({ onChange, vocabulary, check, onChecked });
  useEffect(() => {
    latest.current = { onChange, vocabulary, check, onChecked };
  });

  useEffect(() => {
    if (!host.current) return;
    const lint = linter(
      async (editor): Promise<Diagnostic[]> => {
        const rule = editor.state.doc.toString();
        let result: RuleCheck | null = null;
        try {
          result = await latest.current.check(rule);
        } catch {
          result = null;
        }
        latest.current.onChecked?.(rule, result);
        if (!result) return [];
        const length = editor.state.doc.length;
        const problems = result.ok
          ? result.warnings.map((problem) => ({ problem, severity: "warning" as const }))
          : result.errors.map((problem) => ({ problem, severity: "error" as const }));
        return problems.map(({ problem, severity }) => {
          const from = Math.min(problem.from ?? 0, length);
          const to = Math.min(Math.max(problem.to ?? length, from), length);
          return { from, to, severity, message: problem.message, source: "rule checker" };
        });
      },
      { delay: 350 },
    );
    const editor = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: value,
        extensions: [
          ruleHistory(),
          highlightSpecialChars(),
          drawSelection(),
          EditorView.lineWrapping,
          celLanguage,
          syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
          bracketMatching(),
          closeBrackets(),
          autocompletion({ override: [ruleCompletions(() => latest.current.vocabulary)], icons: false }),
          keymap.of([...closeBracketsKeymap, ...completionKeymap]),
          lint,
          placeholderText(placeholder ?? ""),
          theme,
          EditorView.contentAttributes.of({ "aria-label": label, "aria-multiline": "true", spellcheck: "false", autocorrect: "off", autocapitalize: "off" }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) latest.current.onChange(update.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = null;
    };
    // The editor is created once; `value` changes from outside are applied below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    const editor = view.current;
    if (editor && editor.state.doc.toString() !== value) editor.dispatch({ changes: { from: 0, to: editor.state.doc.length, insert: value } });
  }, [value]);

  useEffect(() => {
    const content = view.current?.contentDOM;
    if (!content) return;
    if (describedBy) content.setAttribute("aria-describedby", describedBy);
    else content.removeAttribute("aria-describedby");
    if (invalid) content.setAttribute("aria-invalid", "true");
    else content.removeAttribute("aria-invalid");
  }, [describedBy, invalid]);

  return <div ref={host} data-testid="rule-editor" />;
}
