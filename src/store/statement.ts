// Statements written as text with $n parameters and handed to the driver as they are (CompiledQuery.raw): the
// hot statements (flow steps, sign-in reads, rate-limit spends) are built for every batch, and building them as
// Kysely templates (nodes, then compiled back to text) cost more request-thread CPU than the rest of a reset
// request's SQL. Only identifiers and types from this code, and integers, are written into the text; every
// value is a parameter.
export class Statement {
  readonly parameters: unknown[] = [];
  param(value: unknown, type: string): string {
    // A Date as UTC ISO text (the driver would format it in local time, several times slower); every
    // statement here casts it to timestamptz, which reads either as the same instant.
    this.parameters.push(value instanceof Date ? value.toISOString() : value);
    return `$${this.parameters.length}::${type}`;
  }
}

/** A VALUES list's rows, each already a list of SQL expressions. */
export const rowsSql = (rows: readonly string[][]) => rows.map((r) => `(${r.join(', ')})`).join(', ');
