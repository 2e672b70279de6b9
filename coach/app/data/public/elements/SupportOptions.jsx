// Human support options with tappable tel:, sms: and web links (Chainlit custom element).
// props.resources: [{id, name, description, hours, href, label, web}], props.intro: string
export default function SupportOptions() {
  const items = props.resources || [];
  return (
    <div className="flex flex-col gap-2 w-full" data-testid="support-options">
      {props.intro ? <p className="text-sm">{props.intro}</p> : null}
      {items.map((r) => (
        <div key={r.id} className="rounded-md border p-3 flex flex-col gap-1">
          <div className="font-semibold">{r.name}</div>
          <div className="text-sm text-muted-foreground">{r.description}</div>
          <div className="text-sm text-muted-foreground">{r.hours}</div>
          <a
            href={r.href}
            className="text-primary underline font-medium"
            target={r.web ? "_blank" : undefined}
            rel={r.web ? "noopener noreferrer" : undefined}
          >
            {r.label}
          </a>
        </div>
      ))}
    </div>
  );
}
