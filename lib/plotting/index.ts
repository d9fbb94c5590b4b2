// Figures and tables for notebooks and reports: the class palette, label images, comparison grids, PLY point clouds,
// Vega-Lite/Plotly charts, Node-side rendering, display, results tables, files.
export * from './palette';
export * from './label_images';
export * from './comparison_grid';
export * from './point_cloud_ply';
export * from './stats';
export * from './vegalite_specs';
export * from './vega_render';
export * from './svg_png';
export * from './image_grid';
export * from './plotly_figures';
export * from './display';
export * from './save';
export * from './results_table';
