mod discovery;
mod endpoints;
mod fleet;
mod gui_live;
mod proxy_live;
mod push_truth;
mod real_proxy;
mod restart;
