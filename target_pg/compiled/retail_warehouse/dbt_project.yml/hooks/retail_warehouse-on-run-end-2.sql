analyze "retail_warehouse"."marts"."dim_countries";
analyze "retail_warehouse"."marts"."dim_dates";
analyze "retail_warehouse"."marts"."dim_customers";
analyze "retail_warehouse"."marts"."mart_customer_360";
analyze "retail_warehouse"."marts"."dim_products"