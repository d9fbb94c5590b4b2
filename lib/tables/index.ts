// Results tables: arquero tables from records, HTML for notebooks, CSV/JSON files.
export * from './results_table';
