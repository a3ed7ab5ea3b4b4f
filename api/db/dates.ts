// Dates as Prisma stores them in SQLite, so that every connection to the file reads the same values.
export const toStored = (date: Date) => date.toISOString().replace('Z', '+00:00');
