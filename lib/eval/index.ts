export * from './protocols';
export * from './trivial';
export * from './runner';
export * from './srn_predictor';
export * from './table1';
export * from './code_journal';
export * from './object_kind';
