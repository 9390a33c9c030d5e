/** A unified diff as lines coloured by their first character (text only). */
export function UnifiedDiff({ text }: { text: string }) {
  return (
    <pre className="diff">
      {text.split('\n').map((line, i) => (
        <span key={i} className={line.startsWith('+') && !line.startsWith('+++') ? 'add' : line.startsWith('-') && !line.startsWith('---') ? 'del' : line.startsWith('@@') ? 'hunk' : undefined}>
          {line}
          {'\n'}
        </span>
      ))}
    </pre>
  );
}
