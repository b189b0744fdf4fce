mod edit_gui;
mod fleet_gui;
mod forms_gui;
mod registry_fields_gui;
mod registry_gui;
mod registry_maintenance;
mod shell_gui;
mod snapshots;
