// Charts for notebooks and reports: Vega-Lite/Plotly builders, Node-side rendering, display, files.
export * from './palette';
export * from './stats';
export * from './vegalite_specs';
export * from './render';
export * from './image_grid';
export * from './plotly_figures';
export * from './display';
export * from './save';
