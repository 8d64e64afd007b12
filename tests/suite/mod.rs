//! Every integration test, one module per area, in one test binary: linking the whole
//! crate once instead of once per file is most of the suite's build time.

mod backends;
mod cache;
mod cli;
mod cloud_models;
mod confidence;
mod doctor_json;
mod edit_loop;
mod edit_tasks;
mod engine;
mod environment;
mod fault_matrix;
mod fuzz_quick;
mod hybrid;
mod hybrid_cli;
mod journal;
mod keys_cli;
mod learning;
mod limits;
mod live;
mod load;
mod module_graph;
mod parser_props;
mod real_server;
mod redirects;
mod repo_map;
mod resident;
mod route_cli;
mod routing_eval;
mod run_script;
mod sandbox;
mod sessions;
mod system_cli;
mod terminal_output;
mod tui_e2e;
mod workspace;
